# METADATA
# title: Who may use OPA's API
# description: |
#   OPA runs with --authentication=token --authorization=basic: every request to its API is
#   first judged by data.system.authz.allow, with the request as input (method, path as a list,
#   identity = the bearer token). Allowed: the risk gate's two decision queries, with its token,
#   and health and metrics reads for anyone (probes and Prometheus send no token). Everything
#   else is refused (401): policy uploads, data writes, other queries, config and status.
#
#   The token is never in a file of the repository: OPA's own environment holds it
#   (HIVE_OPA_TOKEN), and the risk gate sends the same value. An unset or short token in OPA's
#   environment lets no query through.
package system.authz

# The documents the risk gate asks for (policies/CONTRACT.md), as OPA splits the request path.
decision_paths := {
	["v1", "data", "hive", "risk", "decision"],
	["v1", "data", "hive", "modification", "decision"],
}

# Reads that carry no policy, data or decision: liveness, readiness (?bundles) and metrics.
open_paths := {["health"], ["metrics"]}

min_token_length := 32

default allow := false

allow if {
	input.method == "GET"
	input.path in open_paths
}

allow if {
	input.method == "POST"
	input.path in decision_paths
	gate_token
}

default gate_token := false

gate_token if {
	expected := object.get(opa.runtime(), ["env", "HIVE_OPA_TOKEN"], "")
	count(expected) >= min_token_length
	input.identity == expected
}
