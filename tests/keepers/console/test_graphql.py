"""CON-50..CON-56: the console's GraphQL API against the served demo (no browser: HTTP to the
running `quantera console`): its schema is the committed SDL, its values are what the chain
holds, and its bounds (depth, aliases, page size) refuse a query with a message naming them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from graphql import (
    build_client_schema,
    build_schema,
    get_introspection_query,
    lexicographic_sort_schema,
    print_schema,
)
from graphql.utilities.coerce_input_value import coerce_default_value

from conftest import wait_for
from console_checks import propose_demo_upgrade
from keepers.access import ROLE_IDS
from keepers.console.graphql import (
    MAX_ALIASES,
    MAX_AUDIT_WALKS,
    MAX_PAGE_SIZE,
    MAX_QUERY_DEPTH,
    sdl,
)
from keepers.console.graphql.context import WalkCache
from keepers.core.deploying import is_implementation

SDL = Path(__file__).resolve().parents[3] / "docs" / "console.graphql"
GOVERNANCE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # test account 4, the demo's ADMIN
OUTSIDER = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"  # test account 7: no role in the demo


def _answers(url: str) -> bool | None:
    try:
        return httpx.get(f"{url}/health", timeout=60).status_code == 200 or None
    except httpx.TransportError:  # bound, not yet listening: the index syncs first
        return None


@pytest.fixture(scope="module")
def api(console_url) -> str:
    """The console's URL once it serves (it prints it before its first index sync ends)."""
    wait_for(lambda: _answers(console_url), "the console to serve")
    return console_url


def post(url: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def data_of(url: str, query: str, variables: dict | None = None) -> dict:
    answer = post(url, query, variables)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def error_of(url: str, query: str) -> str:
    """The one error a refused query gets (and no data)."""
    answer = post(url, query)
    assert answer.get("data") is None, answer
    [error] = answer["errors"]
    return error["message"]


@pytest.fixture(scope="module")
def served_schema(api):
    """The schema as the running server introspects it."""
    answer = data_of(
        api,
        get_introspection_query(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        ),
    )
    return build_client_schema(answer)


def test_graphql__the_served_schema_is_the_committed_sdl(served_schema):
    """CON-50: introspecting the running server gives docs/console.graphql, which is what the
    code generates (`python -m keepers.console.graphql > docs/console.graphql`)."""
    committed = SDL.read_text()
    assert committed == sdl(), "docs/console.graphql is stale: regenerate it"
    assert print_schema(lexicographic_sort_schema(served_schema)) == print_schema(
        lexicographic_sort_schema(build_schema(committed))
    )
    assert "governance" in served_schema.query_type.fields


def test_graphql__every_list_is_a_page_bounded_by_first(served_schema):
    """CON-51: every list the schema serves is the `nodes` of a connection, and every field
    returning a connection takes `first` (default at most MAX_PAGE_SIZE) and `after`."""
    from graphql import GraphQLList, GraphQLObjectType, get_named_type, get_nullable_type

    connections = 0
    for name, gql_type in served_schema.type_map.items():
        if name.startswith("__") or not isinstance(gql_type, GraphQLObjectType):
            continue
        for field_name, field in gql_type.fields.items():
            if isinstance(get_nullable_type(field.type), GraphQLList):
                assert name.endswith("Connection") and field_name == "nodes", (name, field_name)
            if get_named_type(field.type).name.endswith("Connection"):
                connections += 1
                assert {"first", "after"} <= set(field.args), (name, field_name)
                assert 0 < coerce_default_value(field.args["first"]) <= MAX_PAGE_SIZE
    assert connections >= 5


def test_graphql__roles_and_accounts_match_the_access_manager(api, chain_reads):
    """CON-52: every holder of every role listed holds it on chain (`hasRole`), and an account's
    roles are exactly the role ids it holds on chain."""
    manager = chain_reads.contract("QuanteraAccessManager")
    data = data_of(
        api,
        """query ($who: String!) { governance {
            roles(first: 100) { totalCount nodes { roleId name holders(first: 100) {
                totalCount nodes { address } } } }
            account(address: $who) { address roles { nodes { roleId name } } } } }""",
        {"who": GOVERNANCE.lower()},
    )["governance"]
    roles = data["roles"]["nodes"]
    assert len(roles) == data["roles"]["totalCount"] >= 3
    for role in roles:
        assert ROLE_IDS[role["name"]] == int(role["roleId"])
        holders = [h["address"] for h in role["holders"]["nodes"]]
        assert holders and len(holders) == role["holders"]["totalCount"]
        for holder in holders:
            assert manager.functions.hasRole(int(role["roleId"]), holder).call()[0], (role, holder)
    account = data["account"]
    assert account["address"] == GOVERNANCE
    listed = {int(r["roleId"]) for r in account["roles"]["nodes"]}
    on_chain = {
        role_id
        for role_id in ROLE_IDS.values()
        if manager.functions.hasRole(role_id, GOVERNANCE).call()[0]
    }
    assert listed == on_chain and ROLE_IDS["ADMIN"] in listed


PENDING = """{ governance { head pendingOperations(first: 100) { totalCount
    nodes { operationId eta caller { address } targetContract } } } }"""


def test_graphql__pending_operations_carry_the_chains_eta(api, chain_reads):
    """CON-53: each pending operation's ETA is the AccessManager's `getSchedule`. When the demo
    has none pending, one timelocked grant is scheduled first (to an account with no role)."""
    manager = chain_reads.contract("QuanteraAccessManager")
    pending = data_of(api, PENDING)["governance"]["pendingOperations"]
    if pending["totalCount"] == 0:
        data = manager.encode_abi("grantRole", [ROLE_IDS["GUARDIAN"], OUTSIDER, 0])
        tx = manager.functions.schedule(manager.address, data, 0).transact({"from": GOVERNANCE})
        chain_reads.w3.eth.wait_for_transaction_receipt(tx)
        pending = wait_for(
            lambda: (
                p
                if (p := data_of(api, PENDING)["governance"]["pendingOperations"])["totalCount"]
                else None
            ),
            "the scheduled operation to be served",
        )
    assert len(pending["nodes"]) == pending["totalCount"] > 0
    etas = [op["eta"] for op in pending["nodes"]]
    assert etas == sorted(etas)  # soonest first
    for op in pending["nodes"]:
        assert op["eta"] == manager.functions.getSchedule(op["operationId"]).call(), op
        assert op["targetContract"] and op["caller"]["address"]


UPGRADES = """{ governance { proposedUpgrades(first: 100) { totalCount nodes {
    upgradeId proxy implementation implementationContract eta closesAt codeWarnings } } } }"""


def test_graphql__proposed_upgrades_carry_the_chains_eta(api, chain_reads):
    """CON-93 for integrators: an upgrade proposed to the UpgradeAuthority is served with the
    ETA its `proposal` view holds, the window's close and the new code's warnings, until the
    GUARDIAN vetoes it. (A GovernedProxy over the record's OracleRouter code, moved to the
    RiskEngine's code: a proxy the record does not name, so each test proposes anew.)"""
    authority = chain_reads.contract("UpgradeAuthority")
    contracts = chain_reads.record["contracts"]
    w3 = chain_reads.w3
    code = contracts["RiskEngine.implementation"]
    proxy, upgrade_id, _ = propose_demo_upgrade(chain_reads, code, OUTSIDER)
    _, eta = authority.functions.proposal(upgrade_id).call()

    def served():
        nodes = data_of(api, UPGRADES)["governance"]["proposedUpgrades"]["nodes"]
        return next((n for n in nodes if n["upgradeId"] == upgrade_id), None)

    node = wait_for(served, "the proposed upgrade to be served")
    assert (node["proxy"], node["implementation"]) == (proxy, code)
    assert node["implementationContract"] == "RiskEngine.implementation"
    assert (node["eta"], node["closesAt"]) == (eta, eta + authority.functions.GRACE().call())
    assert node["codeWarnings"] == (
        "a proxy no deployment recorded; code recorded as RiskEngine.implementation"
    )
    tx = authority.functions.veto(upgrade_id).transact({"from": w3.eth.accounts[1]})  # GUARDIAN
    w3.eth.wait_for_transaction_receipt(tx)
    wait_for(lambda: served() is None or None, "the vetoed upgrade to leave the API")


def test_graphql__the_audit_log_filters_then_pages(api, chain_reads):
    """CON-54: the audit log filtered by event counts the chain's own logs of that event up to
    the served head, and paging it (`first`, `after`) yields each of them once, newest first."""
    audit = """query ($after: String) { governance { head auditCompleteFromBlock
        auditEvents(event: "RoleGranted", contract: "QuanteraAccessManager", first: 4,
                    after: $after) {
            totalCount pageInfo { endCursor hasNextPage } nodes { block logIndex tx event args }
        } } }"""
    first = data_of(api, audit)["governance"]
    manager = chain_reads.contract("QuanteraAccessManager")
    logs = manager.events.RoleGranted.get_logs(
        from_block=first["auditCompleteFromBlock"], to_block=first["head"]
    )
    expected = sorted(((lg.blockNumber, lg.logIndex) for lg in logs), reverse=True)
    assert first["auditEvents"]["totalCount"] == len(expected) > 0

    rows, after, pages = [], None, 0
    while True:
        page = data_of(api, audit, {"after": after})["governance"]["auditEvents"]
        assert len(page["nodes"]) <= 4
        rows += page["nodes"]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # pages stop at the first head: later events (none of this kind, here) do not shift them
    rows = [r for r in rows if r["block"] <= first["head"]]
    assert pages == -(-len(expected) // 4)  # full pages of 4, then the rest
    assert [(r["block"], r["logIndex"]) for r in rows] == expected
    by_position = {(lg.blockNumber, lg.logIndex): lg for lg in logs}
    for row in rows:
        log = by_position[(row["block"], row["logIndex"])]
        assert row["event"] == "RoleGranted"
        assert (row["args"]["roleId"], row["args"]["account"]) == (
            log.args.roleId,
            log.args.account,
        )


def test_walk_cache__a_walk_asked_again_is_not_walked_again():
    """CON-54: the same filtered walk (same key, which names the head) is served from the cache;
    the oldest walk is dropped beyond the cache's size."""
    cache, walked = WalkCache(kept=2), []

    def walk(key):
        return lambda: walked.append(key) or [key]

    assert cache.get("a", walk("a")) == ["a"] and cache.get("a", walk("a")) == ["a"]
    cache.get("b", walk("b"))
    cache.get("c", walk("c"))  # drops "a"
    cache.get("a", walk("a"))
    assert walked == ["a", "b", "c", "a"]


def _query_of_depth(depth: int) -> str:
    """A valid query whose deepest field is `depth` levels below the root's fields (the way
    strawberry's QueryDepthLimiter counts), through the roles <-> accounts cycle."""
    cycle = [("roles", "totalCount"), ("nodes", "name"), ("holders", "totalCount")]
    cycle.append(("nodes", "address"))
    path = [("governance", "head"), (f'account(address: "{GOVERNANCE}")', "address")]
    while len(path) < depth:
        path.append(cycle[(len(path) - 2) % len(cycle)])
    query = path[depth - 1][1]
    for name, _ in reversed(path[:depth]):
        query = f"{name} {{ {query} }}"
    return f"{{ {query} }}"


def test_graphql__a_query_deeper_than_MAX_QUERY_DEPTH_is_refused(api):
    """CON-55: a query MAX_QUERY_DEPTH deep is answered; one level deeper is refused, naming
    the limit, before anything is read."""
    assert data_of(api, _query_of_depth(MAX_QUERY_DEPTH))["governance"]
    message = error_of(api, _query_of_depth(MAX_QUERY_DEPTH + 1))
    assert message.endswith(f"exceeds maximum operation depth of {MAX_QUERY_DEPTH}"), message


def test_graphql__page_sizes_and_aliases_beyond_their_caps_are_refused(api):
    """CON-56: `first` above MAX_PAGE_SIZE on any list, a negative `first`, a cursor this API did
    not give, more audit walks than MAX_AUDIT_WALKS and more than MAX_ALIASES aliases are each
    refused with a one-line message naming
    the bound; `first: MAX_PAGE_SIZE` is answered."""
    lists = {  # FIRST: the page size asked for
        "roles": "roles(first: FIRST) { totalCount }",
        "holders": "roles(first: 1) { nodes { holders(first: FIRST) { totalCount } } }",
        "account roles": f'account(address: "{GOVERNANCE}") {{ roles(first: FIRST) '
        "{ totalCount } }",
        "pending": "pendingOperations(first: FIRST) { totalCount }",
        "audit": "auditEvents(first: FIRST) { totalCount }",
    }
    for what, selection in lists.items():
        at_cap = selection.replace("FIRST", str(MAX_PAGE_SIZE))
        assert data_of(api, f"{{ governance {{ {at_cap} }} }}")["governance"]
        above = selection.replace("FIRST", str(MAX_PAGE_SIZE + 1))
        message = error_of(api, f"{{ governance {{ {above} }} }}")
        assert message == (
            f"first: {MAX_PAGE_SIZE + 1} is above MAX_PAGE_SIZE ({MAX_PAGE_SIZE}); "
            "page with `after: pageInfo.endCursor`"
        ), (what, message)
    assert error_of(api, "{ governance { roles(first: -1) { totalCount } } }") == (
        "first: -1 is negative"
    )
    assert error_of(api, '{ governance { roles(after: "bm9wZQ") { totalCount } } }') == (
        "after: 'bm9wZQ' is not a cursor of this list"
    )
    walks = [f'w{k}: auditEvents(text: "w{k}") {{ totalCount }}' for k in range(MAX_AUDIT_WALKS)]
    assert data_of(api, f"{{ governance {{ {' '.join(walks)} }} }}")["governance"]
    walks.append('again: auditEvents(text: "again") { totalCount }')
    assert error_of(api, f"{{ governance {{ {' '.join(walks)} }} }}") == (
        f"auditEvents: at most MAX_AUDIT_WALKS ({MAX_AUDIT_WALKS}) per query"
    )
    aliases = " ".join(f"h{k}: head" for k in range(MAX_ALIASES + 1))
    message = error_of(api, f"{{ governance {{ {aliases} }} }}")
    assert str(MAX_ALIASES) in message and "aliases" in message, message


RISK = """{ risk { head portfolios(first: 100) { totalCount nodes {
    portfolio halted navUsd18
    publication { updateId asOf publishedAt }
    figures { nodes { name valueBps limitBps } }
    assets(first: 100) { totalCount nodes { token holding } }
    limits(first: 100) { nodes { name value } } } } } }"""


def test_graphql__risk_equals_the_engine_and_the_vaults(api, chain_reads):
    """CON-57: each portfolio's holdings are its vault's `positions`, halted its engine's
    `isHalted`, the publication its `metricsOf`, VaR and ES the RiskLens's `portfolioRisk` on
    those holdings against `limitsOf`, all at the served head."""
    risk = data_of(api, RISK)["risk"]
    head = risk["head"]
    engine = chain_reads.contract("RiskEngine")
    lens = chain_reads.contract("RiskLens")
    portfolios = risk["portfolios"]["nodes"]
    assert len(portfolios) == risk["portfolios"]["totalCount"] >= 1
    for p in portfolios:
        address = p["portfolio"]
        vault = chain_reads.contract("PortfolioVault", address)
        tokens, held = vault.functions.positions().call(block_identifier=head)
        assets = p["assets"]["nodes"]
        assert [(a["token"], int(a["holding"])) for a in assets] == list(
            zip(tokens, held, strict=True)
        )
        assert p["halted"] == engine.functions.isHalted(address).call(block_identifier=head)
        _, update_id, as_of, published_at = engine.functions.metricsOf(address).call(
            block_identifier=head
        )
        assert (p["publication"]["updateId"], p["publication"]["asOf"]) == (update_id, as_of)
        assert p["publication"]["publishedAt"] == published_at
        var95, var99, es = lens.functions.portfolioRisk(engine.address, address, held).call(
            block_identifier=head
        )
        limits, _ = lens.functions.limitsOf(engine.address, address).call(block_identifier=head)
        served = {f["name"]: f for f in p["figures"]["nodes"]}
        for (name, wad), limit in zip(
            (("VaR 95% (1 day)", var95), ("VaR 99% (1 day)", var99), ("ES 97.5% (1 day)", es)),
            (limits[1], limits[2], limits[3]),  # maxVar95Bps, maxVar99Bps, maxEsBps
            strict=True,
        ):
            assert served[name]["valueBps"] == pytest.approx(wad * 10_000 / 10**18, rel=1e-12)
            assert served[name]["limitBps"] == limit
        assert int(p["navUsd18"]) > 0


LIQUIDITY = """{ liquidity { head venues(first: 100) { totalCount nodes { venue adapter paused
    depth { nodes { token amount } } } }
    routes(first: 100) { totalCount nodes { tx logIndex amountIn amountOut
        fills { totalCount } } } } }"""


def test_graphql__liquidity_equals_the_aggregator_and_the_venues(api, chain_reads):
    """CON-58: each venue's adapter and paused state are the aggregator's (`adapterOf`,
    `isVenuePaused`), its depth the tokens' `balanceOf` the venue, and each route's amounts its
    transaction's `RouteExecuted`, all at the served head."""
    from web3 import Web3
    from web3.logs import DISCARD

    liquidity = data_of(api, LIQUIDITY)["liquidity"]
    head = liquidity["head"]
    aggregator = chain_reads.contract("LiquidityAggregator")
    venues = liquidity["venues"]["nodes"]
    listed = aggregator.functions.venues().call(block_identifier=head)
    assert [v["venue"] for v in venues] == [Web3.to_checksum_address(v) for v in listed]
    sides = 0
    for v in venues:
        assert v["adapter"] == aggregator.functions.adapterOf(v["venue"]).call(
            block_identifier=head
        )
        assert v["paused"] == aggregator.functions.isVenuePaused(v["venue"]).call(
            block_identifier=head
        )
        for side in v["depth"]["nodes"]:
            token = chain_reads.contract("LocalStablecoin", side["token"], abi="SecurityToken")
            balance = token.functions.balanceOf(v["venue"]).call(block_identifier=head)
            assert int(side["amount"]) == balance, (v["venue"], side)
            sides += 1
    assert sides > 0
    routes = liquidity["routes"]["nodes"]
    assert routes
    for route in routes:
        receipt = chain_reads.w3.eth.get_transaction_receipt(route["tx"])
        [executed] = [
            e
            for e in aggregator.events.RouteExecuted().process_receipt(receipt, errors=DISCARD)
            if e.logIndex == route["logIndex"]
        ]
        assert (int(route["amountIn"]), int(route["amountOut"])) == (
            executed.args.amountIn,
            executed.args.amountOut,
        )
        assert route["fills"]["totalCount"] >= 1


COMPLIANCE = """{ compliance { head
    tokenCaps(first: 100) { totalCount nodes { engine holders holderCap nonAccredited supply } }
    frozenWallets(first: 100) { totalCount nodes { wallet frozenOnChain } }
    kycDue(first: 100) { nodes { identity kycExpiry } }
    refusals { total recent(first: 100) { nodes { tx } } } } }"""


def test_graphql__compliance_equals_the_engines_and_the_registry(api, chain_reads):
    """CON-59: each compliance engine's holder counts, cap and supply are its `holderCounts` and
    `limits`; each frozen wallet's state is the registry's `isFrozen`; each KYC due is the
    identity's `profileOf` expiry; each refusal's transaction reverted on chain."""
    compliance = data_of(api, COMPLIANCE)["compliance"]
    head = compliance["head"]
    caps = compliance["tokenCaps"]["nodes"]
    assert caps
    for cap in caps:
        engine = chain_reads.contract(cap["engine"])
        total, non_accredited, supply = engine.functions.holderCounts().call(block_identifier=head)
        assert (cap["holders"], cap["nonAccredited"], int(cap["supply"])) == (
            total,
            non_accredited,
            supply,
        )
        assert cap["holderCap"] == engine.functions.limits().call(block_identifier=head)[7]
    registry = chain_reads.contract("IdentityRegistry")
    frozen = compliance["frozenWallets"]["nodes"]
    assert frozen
    for row in frozen:
        assert row["frozenOnChain"] == registry.functions.isFrozen(row["wallet"]).call(
            block_identifier=head
        )
    for row in compliance["kycDue"]["nodes"]:
        profile = registry.functions.profileOf(row["identity"]).call(block_identifier=head)
        assert row["kycExpiry"] == profile[2]
    recent = compliance["refusals"]["recent"]["nodes"]
    assert recent and compliance["refusals"]["total"] >= len(recent)
    for row in recent:
        assert chain_reads.w3.eth.get_transaction_receipt(row["tx"]).status == 0, row


FUNDS = """{ funds { head
    instruments(first: 100) { nodes { registry id nav18 navAt } }
    funds(first: 100) { nodes { share { address } income { index }
        vaults(first: 100) {
            nodes { address openPeriod gateBps freeCash reservedAssets } } } } } }"""


def test_graphql__funds_equal_the_registries_and_the_vaults(api, chain_reads):
    """CON-59: each instrument's NAV is its registry's `latestNav`; each fund vault's open period,
    gate, free cash and reserved assets are the vault's (`dealing`, `gateBps`, `freeCash`,
    `reservedAssets`); a fund's income index is its share token's `incomeIndex`."""
    funds = data_of(api, FUNDS)["funds"]
    instruments = funds["instruments"]["nodes"]
    assert instruments
    for row in instruments:
        registry = chain_reads.contract("InstrumentRegistry", row["registry"])
        nav, _, nav_at = registry.functions.latestNav(row["id"]).call()
        assert (int(row["nav18"]), row["navAt"]) == (nav, nav_at)
    vaults = [v for f in funds["funds"]["nodes"] for v in f["vaults"]["nodes"]]
    assert vaults
    for row in vaults:
        vault = chain_reads.contract("FundVault", row["address"])
        assert row["openPeriod"] == vault.functions.dealing().call()[0]
        assert row["gateBps"] == vault.functions.gateBps().call()
        assert int(row["freeCash"]) == vault.functions.freeCash().call()
        assert int(row["reservedAssets"]) == vault.functions.reservedAssets().call()
    for fund in funds["funds"]["nodes"]:
        if fund["income"] is not None:
            token = chain_reads.contract("IncomeShareToken", fund["share"]["address"])
            assert int(fund["income"]["index"]) == token.functions.incomeIndex().call()[0]


MANAGER = """{ manager { head
    clients(first: 100) { totalCount nodes { name vault strategyId paused nonce relayer
        weights(first: 100) { totalCount } } }
    assets(first: 100) { nodes { address } } } }"""


def test_graphql__manager_clients_equal_the_record_and_the_rebalancer(api, chain_reads):
    """CON-66: the client portfolios served are the record's PortfolioVaults, each with the
    strategy id and pause of `RebalancerLens.strategyOf`, the nonce of the lens's `stateOf` and
    its `relayerOf` for the AutoRebalancer, and one weight per position of its `positions`, all at
    the served head; the assets are every token the vaults hold."""
    manager = data_of(api, MANAGER)["manager"]
    head = manager["head"]
    rebalancer = chain_reads.contract("AutoRebalancer")
    lens = chain_reads.contract("RebalancerLens")
    vaults = {  # the proxies, never their code (UPG-9)
        n: a
        for n, a in chain_reads.record["contracts"].items()
        if n.startswith("PortfolioVault") and not is_implementation(n)
    }
    clients = manager["clients"]["nodes"]
    assert {c["name"]: c["vault"] for c in clients} == vaults
    assert manager["clients"]["totalCount"] == len(vaults) >= 1
    held_tokens = set()
    for c in clients:
        vault = c["vault"]
        _, strategy_id, paused = lens.functions.strategyOf(rebalancer.address, vault).call(
            block_identifier=head
        )
        assert (c["strategyId"], c["paused"]) == (strategy_id, paused)
        assert (
            c["nonce"]
            == lens.functions.stateOf(rebalancer.address, vault).call(block_identifier=head)[0]
        )
        assert c["relayer"] == lens.functions.relayerOf(rebalancer.address, vault).call(
            block_identifier=head
        )
        tokens, _ = (
            chain_reads.contract("PortfolioVault", vault)
            .functions.positions()
            .call(block_identifier=head)
        )
        assert c["weights"]["totalCount"] == len(tokens)
        held_tokens.update(tokens)
    assert {a["address"] for a in manager["assets"]["nodes"]} == held_tokens


def test_graphql__graphiql_runs_offline_in_a_browser(browser_page, console_url):
    """Issue 33 §3: GraphiQL renders and answers a query in a real browser with every request to
    another host refused (offline): its scripts and styles are the console's own."""
    elsewhere: list[str] = []

    def only_the_console(route):
        url = route.request.url
        if url.startswith(console_url):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    browser_page.route("**/*", only_the_console)
    try:
        browser_page.goto(f"{console_url}/graphql")
        run = browser_page.locator(".graphiql-execute-button")
        wait_for(lambda: run.count() == 1 or None, "GraphiQL to render")
        run.click()
        result = browser_page.locator(".graphiql-response")
        wait_for(lambda: '"chainTime"' in result.inner_text() or None, "the query's answer")
    finally:
        browser_page.unroute("**/*")
    assert elsewhere == []
