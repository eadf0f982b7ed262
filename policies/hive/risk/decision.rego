# METADATA
# title: The risk decision
# description: |
#   The one document the risk gate asks for: POST /v1/data/hive/risk/decision, with the input and
#   output described in policies/CONTRACT.md. Each rule file of this package adds the codes of the
#   rules it owns to `deny` (the order is refused) or `info` (allowed, with a note); this file
#   composes them.
package hive.risk

decision := {
	"allow": allow,
	"reasons": reasons,
	"max_risk_pct": max_risk_pct,
	"size_multiplier": size_multiplier,
	"shadow": shadow,
	"limits": limits,
	"bundle_version": bundle_version,
}

# Closes and reductions lower the exposure: they are always allowed, whatever else holds, so a
# halted or locked bot can still get out of its positions.
default exit_order := false

exit_order if input.order.reduces_exposure == true

default allow := false

allow if exit_order

allow if {
	not exit_order
	count(deny) == 0
}

# Every denying rule, sorted; when allowed, the informational codes; nothing for an exit.
reasons := [] if {
	exit_order
} else := sort(deny) if {
	count(deny) > 0
} else := sort(info)

default bundle_version := "unknown"

bundle_version := data.hive.bundle.version
