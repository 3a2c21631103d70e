"""Shared chain plumbing every keeper domain imports: connecting to a network (`chain`), deployment
records (`deployments`, `record`), the keeper store (`store`), the hardened silverback bot (`bot`),
bounded log fetching (`logs`), the reorganisation-safe block scan (`scan`), retries (`retries`),
token facts (`tokens`), JSON values (`jsonable`), EIP-712 signing (`typed_data`), waiting on
conditions (`waiting`), crash points for the drills (`faults`), user-facing errors (`errors`), the
deploy script's pre-flight checks (`preflight`) and the benchmarks' helpers (`benchmarking`).

Importing it installs `loopback.skip_environment_for_loopback` (requests skips its per-request
proxy scan of the environment for plain HTTP to this machine) and
`loopback.post_loopback_over_http_client` (web3's JSON-RPC to a node on this machine over
`http.client` on a kept-alive connection, and its receipt waits polled quickly at first): see that
module."""

from keepers.core.loopback import (
    poll_loopback_receipts_quickly,
    post_loopback_over_http_client,
    skip_environment_for_loopback,
)

skip_environment_for_loopback()
post_loopback_over_http_client()
poll_loopback_receipts_quickly()
