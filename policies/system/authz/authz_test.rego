package system.authz_test

import data.system.authz

token := "a-test-token-of-forty-characters-000000"

runtime := {"env": {"HIVE_OPA_TOKEN": token}}

request(method, path, identity) := {"method": method, "path": split(trim_prefix(path, "/"), "/"), "identity": identity}

anonymous(method, path) := {"method": method, "path": split(trim_prefix(path, "/"), "/")}

test_the_gate_asks_both_decisions_with_its_token if {
	authz.allow with input as request("POST", "/v1/data/hive/risk/decision", token)
		with opa.runtime as runtime
	authz.allow with input as request("POST", "/v1/data/hive/modification/decision", token)
		with opa.runtime as runtime
}

test_health_and_metrics_are_open_to_reads if {
	authz.allow with input as anonymous("GET", "/health") with opa.runtime as runtime
	authz.allow with input as anonymous("GET", "/metrics") with opa.runtime as runtime
	not authz.allow with input as anonymous("POST", "/health") with opa.runtime as runtime
}

test_a_decision_without_the_token_is_refused if {
	not authz.allow with input as anonymous("POST", "/v1/data/hive/risk/decision")
		with opa.runtime as runtime
	not authz.allow with input as request("POST", "/v1/data/hive/risk/decision", "guess")
		with opa.runtime as runtime
}

test_the_token_opens_nothing_else if {
	every method_path in [
		["PUT", "/v1/policies/hive"],
		["DELETE", "/v1/policies/hive"],
		["PUT", "/v1/data/hive/calendar"],
		["PATCH", "/v1/data/hive/profiles"],
		["POST", "/v1/data/hive/risk/reason_codes"],
		["POST", "/v1/data/system/authz"],
		["GET", "/v1/data/hive/risk/decision"],
		["GET", "/v1/data"],
		["GET", "/v1/config"],
		["POST", "/v1/query"],
		["POST", "/"],
	] {
		not authz.allow with input as request(method_path[0], method_path[1], token)
			with opa.runtime as runtime
	}
}

test_a_missing_or_short_token_in_the_environment_lets_nothing_through if {
	not authz.allow with input as request("POST", "/v1/data/hive/risk/decision", "")
		with opa.runtime as {"env": {}}
	not authz.allow with input as request("POST", "/v1/data/hive/risk/decision", "short")
		with opa.runtime as {"env": {"HIVE_OPA_TOKEN": "short"}}
}
