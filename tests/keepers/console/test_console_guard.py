"""SEC-80..SEC-90: the console attacked as a web page the operator visits would (and as a client
on the same machine would), over HTTP against the console's own app on a deployed chain: forged
posts (cross-origin, `text/plain`, no session token) to every state-changing route, DNS rebinding
(a foreign Host), cross-site loads, an oversized or over-long GraphQL query, a page held while a
query validates, event streams held open, oversized bodies, markup in a 404's path, secrets in a
page, formulas in the audit export.

The app is `create_app` over a ChainSource of a private anvil loaded with the session's
deployment (tests/keepers/conftest.py `deployment_state`) and a SQLite keeper store, served by
uvicorn in a thread on a port of its own (no served demo, no browser)."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from contextlib import ExitStack
from types import SimpleNamespace

import httpx
import pytest
from starlette.routing import Route

from conftest import wait_for
from console_checks import served
from keepers.console.source import ChainSource, load_abis
from keepers.core import store
from keepers.core.deployments import load
from keepers.demo.processes import ProcessGroup, start_anvil
from keepers.rebalancing import store as rebalancing_store

FOREIGN = "http://attacker.example"
SECRET_LABEL = "ethereum:local:http://operator:hunter2@127.0.0.1:1/v3/apikey0123456789"


@pytest.fixture(scope="module")
def chain(deployment_state, tmp_path_factory):
    """An anvil on the session's deployment and a keeper store: (rpc url, record, db url)."""
    state, record_file = deployment_state
    folder = tmp_path_factory.mktemp("guard")
    group = ProcessGroup(folder)
    try:
        url = start_anvil(group, chain_id=1337, extra_args=("--load-state", str(state)))
        db_url = f"sqlite:///{folder / 'keeper.sqlite'}"
        store.open_store(db_url)
        yield SimpleNamespace(url=url, record=load(record_file), db_url=db_url)
    finally:
        group.stop_all()


def _source(chain, network: str = "ethereum:local") -> ChainSource:
    from web3 import Web3

    return ChainSource(
        Web3(Web3.HTTPProvider(chain.url)), chain.record, load_abis(), chain.db_url, network
    )


@pytest.fixture(scope="module")
def console(chain):
    from keepers.console.app import create_app

    app = create_app(_source(chain, SECRET_LABEL), poll_seconds=0.2)
    with served(app) as url:
        yield SimpleNamespace(app=app, url=url)


def _session(url: str) -> tuple[httpx.Client, str]:
    """A browser's session: the page loaded (its cookie kept), and the token the page carries."""
    client = httpx.Client(base_url=url, timeout=60)
    page = client.get("/governance")
    assert page.status_code == 200
    found = re.search(r'<meta name="quantera-token" content="([0-9a-f]+)">', page.text)
    assert found, "the page carries no session token"
    return client, found.group(1)


def _weights(chain) -> str:
    from keepers.console.pages.manager import known_assets

    symbol = next(iter(known_assets(_source(chain))))
    return f"{symbol}=10000"


def _models(chain) -> list[str]:
    engine = store.open_store(chain.db_url)
    return [m.name for m in rebalancing_store.model_portfolios(engine, chain.record.chain_id)]


def _posts(app) -> list[str]:
    """Every path the app answers POST on (a path parameter filled in; a route of no declared
    methods answers every one)."""
    paths = []
    for route in app.routes:
        if isinstance(route, Route) and (route.methods is None or "POST" in route.methods):
            paths.append(re.sub(r"\{[^}]+\}", "x", route.path))
    return paths


def _refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert error.startswith("refused:") and "\n" not in error and "Traceback" not in error
    return error


def test_sec_80__forged_posts_from_a_page__book_untouched_and_refused(chain, console):
    """SEC-80: what a page on another origin can send without a CORS preflight — JSON posted as
    `text/plain`, or as a form — and JSON from another Origin, to the book's routes, are refused
    (415, 403) before any route reads them; the keeper store is unchanged."""
    body = json.dumps({"name": "sec80-forged", "weights": _weights(chain)})
    plain = httpx.post(
        f"{console.url}/manager/models",
        content=body,
        headers={"Content-Type": "text/plain", "Origin": FOREIGN},
    )
    _refused(plain, 403)
    no_origin = httpx.post(
        f"{console.url}/manager/models", content=body, headers={"Content-Type": "text/plain"}
    )
    _refused(no_origin, 415)
    form = httpx.post(f"{console.url}/manager/models", data={"name": "sec80-form"})
    _refused(form, 415)
    client, token = _session(console.url)
    foreign = client.post(
        "/manager/models",
        content=body,
        headers={"Content-Type": "application/json", "Origin": FOREIGN, "X-Quantera-Token": token},
    )
    _refused(foreign, 403)
    assign = httpx.post(
        f"{console.url}/manager/assign",
        json={"model": "sec80-forged", "clients": "PortfolioVault"},
    )
    assert "no valid session token" in _refused(assign, 403)
    assert "sec80-forged" not in _models(chain) and "sec80-form" not in _models(chain)


def test_sec_80__the_pages_own_post__with_its_session_token__writes_the_book(chain, console):
    """SEC-80: the console's own page (its cookie and the token it carries, from its own Origin)
    still writes the book; the token of another session, or none, is refused."""
    client, token = _session(console.url)
    name = "sec80-own"
    headers = {"X-Quantera-Token": token, "Origin": console.url}
    other, other_token = _session(console.url)
    stolen = client.post(
        "/manager/models",
        json={"name": name, "weights": _weights(chain)},
        headers={**headers, "X-Quantera-Token": other_token},
    )
    _refused(stolen, 403)
    written = client.post(
        "/manager/models", json={"name": name, "weights": _weights(chain)}, headers=headers
    )
    assert written.status_code == 200, written.text
    assert written.json()["message"] == f"model {name} v1 defined"
    assert name in _models(chain)


def test_sec_81__every_post_route__forged_requests_refused_before_the_route(console):
    """SEC-81: every route the app answers POST on (enumerated from its router, so a new route is
    covered) refuses a `text/plain` post (415), a post from another Origin (403) and a JSON post
    without the session token (403), each with the guard's one-line JSON error; /graphql, whose
    schema has no mutation (asserted), takes a token-less JSON query from no other origin."""
    graphql = next(r for r in console.app.routes if getattr(r, "path", "") == "/graphql")
    assert graphql.endpoint.schema._schema.mutation_type is None
    paths = _posts(console.app)
    assert {"/manager/models", "/manager/assign", "/manager/rebalance", "/actions/x"} <= set(paths)
    for path in paths:
        url = f"{console.url}{path}"
        _refused(httpx.post(url, content="{}", headers={"Content-Type": "text/plain"}), 415)
        _refused(httpx.post(url, json={}, headers={"Origin": FOREIGN}), 403)
        _refused(httpx.post(url, json={}, headers={"Origin": "null"}), 403)
        if path == "/graphql":
            assert httpx.post(url, json={"query": "{ __typename }"}).status_code == 200
        else:
            _refused(httpx.post(url, json={}), 403)


def test_sec_81__forged_rebalance__no_signing_run_starts(chain, monkeypatch):
    """SEC-81: with the operator's signing opt-in, a forged post to /manager/rebalance (a model
    that clients follow) never reaches the runner; the page's own post does."""
    from keepers.console.app import create_app
    from keepers.console.pages import manager_ops
    from keepers.rebalancing import assign_model, define_model

    started: list[str] = []
    monkeypatch.setattr(manager_ops.BulkRunner, "start", lambda self, model: started.append(model))
    source = _source(chain)
    engine = store.open_store(chain.db_url)
    weights = {next(iter(_known(source).values())): 10_000}
    define_model(engine, source.chain_id, "sec81", weights, source.block_time())
    vault = chain.record.contracts["PortfolioVault"]
    assign_model(engine, source.chain_id, "sec81", [vault], source.block_time())
    operator = {"signer": "TEST::22", "relayer": "TEST::22"}
    with served(create_app(source, operator=operator)) as url:
        forged = httpx.post(
            f"{url}/manager/rebalance",
            content=json.dumps({"model": "sec81"}),
            headers={"Content-Type": "text/plain", "Origin": FOREIGN},
        )
        _refused(forged, 403)
        assert started == []
        client, token = _session(url)
        own = client.post(
            "/manager/rebalance", json={"model": "sec81"}, headers={"X-Quantera-Token": token}
        )
        assert own.status_code == 202, own.text
        assert started == ["sec81"]


def _known(source):
    from keepers.console.pages.manager import known_assets

    return known_assets(source)


def test_sec_82__dns_rebinding__a_foreign_host_is_not_served(console):
    """SEC-82: a request naming another Host (a rebound name resolving to 127.0.0.1) is refused
    (400) on every kind of route: page, API, GraphQL, event stream."""
    for method, path in (("GET", "/risk"), ("GET", "/api/governance"), ("GET", "/events")):
        response = httpx.request(
            method, f"{console.url}{path}", headers={"Host": "attacker.example:8000"}
        )
        assert "attacker.example" in _refused(response, 400)
    graphql = httpx.post(
        f"{console.url}/graphql",
        json={"query": "{ __typename }"},
        headers={"Host": "attacker.example"},
    )
    _refused(graphql, 400)
    assert httpx.get(f"{console.url}/health", headers={"Host": "localhost"}).status_code == 200


def test_sec_83__cross_site_loads__refused_but_a_link_opens_the_page(console):
    """SEC-83: a browser's cross-site subresource or fetch (Sec-Fetch-Site: cross-site) of the
    API, the event stream or a page is refused (403); a top-level link to a page opens it; every
    answer forbids framing."""
    for path in ("/api/governance", "/events", "/governance/audit.csv", "/risk"):
        response = httpx.get(
            f"{console.url}{path}",
            headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},
        )
        _refused(response, 403)
    framed = httpx.get(
        f"{console.url}/risk",
        headers={
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "iframe",
        },
    )
    _refused(framed, 403)
    link = httpx.get(
        f"{console.url}/risk",
        headers={
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
        },
        timeout=120,
    )
    assert link.status_code == 200
    assert link.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in link.headers["content-security-policy"]


def test_sec_84__graphql_oversized_query__refused_unread(console, monkeypatch):
    """SEC-84: the red team's 2.2 MB query (200,000 `__typename` fields) is refused on its length
    (413) before it is read: the schema never sees it."""
    schema = next(
        r for r in console.app.routes if getattr(r, "path", "") == "/graphql"
    ).endpoint.schema
    seen: list[int] = []
    real = schema.execute

    async def execute(query, *args, **kwargs):
        seen.append(len(query or ""))
        return await real(query, *args, **kwargs)

    monkeypatch.setattr(schema, "execute", execute)
    query = "{" + " __typename" * 200_000 + " }"
    assert len(query) > 2_000_000
    response = httpx.post(f"{console.url}/graphql", json={"query": query}, timeout=120)
    assert "at most 65,536 bytes" in _refused(response, 413)
    assert seen == []


def test_sec_84__graphql_too_many_tokens__parser_stops_at_the_bound(console):
    """SEC-84: a query within the body bound but over MAX_QUERY_TOKENS is answered with the
    parser's own refusal at the bound (it read no further), never validated."""
    from keepers.console.graphql import MAX_QUERY_TOKENS

    query = "{" + " __typename" * 5_000 + " }"
    assert len(query.encode()) < 64 * 1024
    response = httpx.post(f"{console.url}/graphql", json={"query": query}, timeout=120)
    assert response.status_code == 200
    answer = response.json()
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["message"] == (
        f"Syntax Error: Document contains more than {MAX_QUERY_TOKENS} tokens. Parsing aborted."
    )


def test_sec_85__while_a_query_validates__health_and_pages_answer(chain, monkeypatch):
    """SEC-85: validation runs off the event loop: while a query is held in validation (a rule
    that waits until /health has answered, or 30 s), /health and the event stream answer."""
    from graphql import ValidationRule
    from strawberry.extensions import AddValidationRules

    from keepers.console import graphql as console_graphql
    from keepers.console.app import create_app

    validating, answered = threading.Event(), threading.Event()

    class Held(ValidationRule):
        def enter_document(self, *_):
            validating.set()
            answered.wait(timeout=300)  # released by the test; on its own only if it hangs

    monkeypatch.setattr(
        console_graphql, "MaxAliasesLimiter", lambda max_alias_count: AddValidationRules([Held])
    )
    heavy = "{" + " __typename" * 400 + " }"  # within every bound, and slow to validate
    with served(create_app(_source(chain), poll_seconds=0.2)) as url:
        result: list[httpx.Response] = []
        query = threading.Thread(
            target=lambda: result.append(
                httpx.post(f"{url}/graphql", json={"query": heavy}, timeout=120)
            )
        )
        query.start()
        try:
            assert validating.wait(timeout=60), "the query never reached validation"
            health = httpx.get(f"{url}/health", timeout=60)
            assert health.status_code == 200 and "head" in health.json()
        finally:
            answered.set()
            query.join(timeout=120)
        assert result and result[0].status_code == 200
        assert result[0].json()["data"] == {"__typename": "Query"}, result[0].text[:500]


def test_sec_86__event_streams__at_most_max_streams_open(console):
    """SEC-86: /events serves at most MAX_STREAMS clients at once; the next is refused (503) in
    one line, and a closed stream frees its place."""
    from keepers.console.live import MAX_STREAMS

    held = []  # each stream's line iterator, kept: a collected one closes its connection
    with ExitStack() as stack, httpx.Client(base_url=console.url, timeout=60) as client:
        for _ in range(MAX_STREAMS):
            stream = stack.enter_context(client.stream("GET", "/events"))
            assert stream.status_code == 200
            held.append(stream.iter_lines())
            assert next(line for line in held[-1] if line.startswith("event:")) == "event: hello"
        assert console.app.state.feed.streams == MAX_STREAMS
        with httpx.stream("GET", f"{console.url}/events", timeout=30) as over:
            assert over.status_code == 503
            assert "event streams" in json.loads(over.read())["error"]
    wait_for(
        lambda: console.app.state.feed.streams < MAX_STREAMS or None, "closed streams to be freed"
    )


def test_sec_87__oversized_bodies__refused_on_every_post_route(console):
    """SEC-87: a body over the bound is refused (413) on its Content-Length before it is read,
    and a chunked one (no length) once the bound is passed; a route never parses either."""
    client, token = _session(console.url)
    big = json.dumps({"name": "x" * (1 << 20)})
    headers = {"X-Quantera-Token": token, "Content-Type": "application/json"}
    for path in ("/manager/models", "/actions/x"):
        _refused(client.post(path, content=big, headers=headers), 413)

    def chunks():
        yield b'{"name": "'
        for _ in range(64):
            yield b"x" * 16_384
        yield b'"}'

    _refused(client.post("/manager/models", content=chunks(), headers=headers), 413)


def test_sec_88__markup_in_a_missing_pages_path__shown_as_text(console):
    """SEC-88: a 404 names the missing page escaped: a link to /<img onerror=...> runs nothing on
    the console's origin (where it could read the session token)."""
    response = httpx.get(f"{console.url}/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert response.status_code == 404
    assert "<img" not in response.text and "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_sec_89__rpc_credentials__never_on_a_page(console):
    """SEC-89: a network given with credentials or a key in its RPC URL (`https://user:pass@host/
    v3/KEY`) is shown without them on every page and answer."""
    for path in ("/governance", "/risk?fragment=1", "/health"):
        text = httpx.get(f"{console.url}{path}", timeout=120).text
        assert "hunter2" not in text and "apikey0123456789" not in text, path
    page = httpx.get(f"{console.url}/governance", timeout=120).text
    assert "http://127.0.0.1:1/…" in page


def test_sec_90__audit_export__no_cell_is_a_formula(console):
    """SEC-90: no cell of the audit CSV starts like a spreadsheet formula (= + - @ tab CR); text
    that would is written with a leading quote, numbers as they are."""
    from keepers.core.spreadsheet import safe_row

    assert safe_row(['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", -3, "ok"]) == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        -3,
        "ok",
    ]
    response = httpx.get(f"{console.url}/governance/audit.csv", timeout=120)
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) > 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_sec_98__client_reports__at_most_max_renders_at_once(chain, console, monkeypatch):
    """SEC-98: while MAX_RENDERS client reports are being rendered (each held here until the
    test lets it go), another is refused at once (429, one line) instead of queueing behind them
    in the pages' thread pool; once they end, a report renders again."""
    from keepers.console.pages import manager_ops

    entered, release = threading.Semaphore(0), threading.Event()

    def held(source, vault):
        entered.release()
        release.wait(timeout=300)
        return b"%PDF-held"

    monkeypatch.setattr(manager_ops, "client_report_pdf", held)
    vault = chain.record.contracts["PortfolioVault"]
    url = f"{console.url}/manager/report/{vault}.pdf"
    answers: list[httpx.Response] = []
    renders = [
        threading.Thread(target=lambda: answers.append(httpx.get(url, timeout=120)))
        for _ in range(manager_ops.MAX_RENDERS)
    ]
    for thread in renders:
        thread.start()
    try:
        for _ in renders:
            assert entered.acquire(timeout=60), "a render never started"
        busy = httpx.get(url, timeout=60)
        assert busy.status_code == 429, busy.text[:200]
        assert "reports are being rendered" in busy.json()["error"]
    finally:
        release.set()
        for thread in renders:
            thread.join(timeout=120)
    assert [a.status_code for a in answers] == [200] * manager_ops.MAX_RENDERS
    assert httpx.get(url, timeout=120).content == b"%PDF-held"


def _series(body: str, name: str) -> dict[tuple, float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name == name
    }


def test_kpr_24__console_metrics__requests_by_route_and_refusals_by_code(chain, console):
    """The console's /metrics (issue 33 §5): its requests by route template and status (a random
    path counted as `other`, not as a label of its own), and the refused transfers it read from
    the chain by code; served to a scraper on loopback, refused to a foreign Host like any route."""
    from web3 import Web3

    client = httpx.Client(base_url=console.url, timeout=60)
    assert client.get("/governance").status_code == 200
    assert client.get("/no-such-page-1234").status_code == 404
    # A transfer the token refuses, mined anyway (a wallet that sent it with its own gas limit).
    w3 = Web3(Web3.HTTPProvider(chain.url))
    token = w3.eth.contract(
        address=chain.record.address_of("SecurityToken"),
        abi=[
            {
                "type": "function",
                "name": "transfer",
                "inputs": [{"name": "to", "type": "address"}, {"name": "v", "type": "uint256"}],
                "outputs": [{"name": "", "type": "bool"}],
                "stateMutability": "nonpayable",
            }
        ],
    )
    sender, receiver = w3.eth.accounts[20], w3.eth.accounts[21]
    tx = token.functions.transfer(receiver, 10**18).build_transaction(
        {"from": sender, "gas": 300_000, "nonce": w3.eth.get_transaction_count(sender)}
    )
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))
    assert receipt.status == 0
    wait_for(lambda: console.app.state.index.head >= receipt.blockNumber, "the index at the block")
    scrape = client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    requests = _series(scrape.text, "quantera_console_requests_total")
    assert requests[(("method", "GET"), ("route", "/governance"), ("status", "200"))] >= 1
    assert requests[(("method", "GET"), ("route", "other"), ("status", "404"))] >= 1
    assert not any(dict(k)["route"].startswith("/no-such") for k in requests)
    refusals = _series(scrape.text, "quantera_compliance_refusals")
    assert refusals and sum(refusals.values()) >= 1, scrape.text[-2000:]
    # A foreign Host (DNS rebinding) gets no metrics either.
    _refused(client.get("/metrics", headers={"Host": "attacker.example"}), 400)
