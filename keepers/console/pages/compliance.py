"""Compliance: investors by jurisdiction and class, holder counts against each engine's caps, KYC
expiries due, frozen wallets with the screening keeper's decisions behind them, the rule-change
log (previous and new values), transfer refusals by ERC-1404 reason code; actions: approve an
onboarding batch (a pasted CSV), freeze or unfreeze a wallet.

Sources: the IdentityRegistry's and every ComplianceEngine's events (the EventIndex) and views;
the screening keeper's decisions (keeper store, `screening_decisions`); refused transfers are
failed transactions replayed for their revert reason (keepers/console/refusals.py: a refusal
reverts, it has no event)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from eth_utils import is_address, to_checksum_address

from keepers.compliance import INVESTOR_CLASSES, OnChainInvestor, parse_kyc_csv, plan
from keepers.console.actions import Action, ActionInputError, Call, Field
from keepers.console.calls import MAX_BATCH_CALLS, CallFailure, batch_call
from keepers.console.index import ChainEvent, EventIndex
from keepers.console.keeper_store import kept, store_of
from keepers.console.pages import Page
from keepers.console.refusals import MAX_REASONS_PER_SYNC, RefusalScanner
from keepers.console.source import ChainSource, ConsoleError, abi_name
from keepers.core.redact import redact_urls
from keepers.core.units import format_amount, iso_utc
from keepers.lifecycle import is_valid_isin

REGISTRY = "IdentityRegistry"
ENGINE = "ComplianceEngine"
TOKEN = "SecurityToken"
FUND_SHARE_ABI = "IncomeShareToken"  # a fund's share token (its freezes are SecurityToken's)
DAY = 86_400
KYC_DUE_DAYS = 30  # "due": a KYC expiring within the next 30 days (expired ones too)
EXPIRY_EXAMPLE_DAYS = 365  # the onboarding example's expiry: a year after the chain's time
MAX_IDENTITIES = 1_000  # identities read from the registry per refresh (profileOf each)
MAX_FROZEN_SHOWN = 200  # a token's newest freezes shown (each token's own cut)
MAX_FUND_TOKEN_PAIRS = 50  # a fund share token's newest (wallet) pairs read per page read
RULE_ROWS_SHOWN = 100  # the newest rule changes; the count says how many there are
RECENT_REFUSALS_SHOWN = 20
MAX_ONBOARDING_ROWS = 100
WARN_RATIO = 0.8  # a holder count at 80% of its cap is amber, at the cap red
CLASS_NAMES = {v: k for k, v in INVESTOR_CLASSES.items()}
ZERO = "0x0000000000000000000000000000000000000000"

# Rule events: the arguments naming what changed (the key), and where the event keeps the
# previous and the new value (None: the event carries no previous value; it is the value the
# previous event of the same key set).
RULE_EVENTS: dict[str, tuple[tuple[str, ...], str | None, str]] = {
    "JurisdictionSet": (("country",), "previous", "next"),
    "RouteSet": (("fromCountry", "toCountry"), "previousBlocked", "blocked"),
    "LimitsSet": ((), "previous", "next"),
    "InvestmentMinimumsSet": (("country",), "previous", "next"),
    "ClaimTopicAdded": (("topic",), None, "required"),
    "ClaimTopicRemoved": (("topic",), None, "required"),
    "TrustedIssuerSet": (("issuer",), "previousTopics", "topics"),
    "ClaimCacheTtlSet": ((), "previous", "next"),
    "SecurityListed": (("security",), None, "listed"),
}


def _level(count: int, cap: int) -> str:
    if cap == 0:
        return "ok"
    return "bad" if count >= cap else "warn" if count >= WARN_RATIO * cap else "ok"


def _engines(source: ChainSource) -> list[str]:
    return sorted(n for n in source.record.contracts if abi_name(n) == ENGINE and source.has(n))


def investors(source: ChainSource, index: EventIndex, now: int) -> list[dict[str, Any]]:
    """Every identity the registry has registered and still holds wallets, with its profile."""
    identities: list[str] = []
    seen: set[str] = set()
    for e in index.events(contract=REGISTRY, names=("IdentityRegistered", "InvestorProfileSet")):
        identity = e.args.get("identity")
        if identity and identity not in seen:
            seen.add(identity)
            identities.append(identity)
    registry = source.contract(REGISTRY)
    identities = identities[-MAX_IDENTITIES:]
    profiles = batch_call(source, [(registry, "profileOf", (i,)) for i in identities], limit=None)
    rows = []
    for identity, profile in zip(identities, profiles, strict=True):
        country, klass, expiry, _, _, wallets, frozen = profile
        if wallets == 0:
            continue
        rows.append(
            {
                "identity": identity,
                "country": int(country),
                "class": CLASS_NAMES.get(int(klass), str(klass)),
                "kyc_expiry": int(expiry),
                "wallets": int(wallets),
                "frozen": bool(frozen),
                "days_left": (int(expiry) - now) // DAY,
            }
        )
    return rows


def by_jurisdiction(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table: dict[int, Counter] = defaultdict(Counter)
    wallets: Counter = Counter()
    for r in rows:
        table[r["country"]][r["class"]] += 1
        wallets[r["country"]] += r["wallets"]
    return [
        {
            "country": country,
            "classes": {name: counts.get(name, 0) for name in INVESTOR_CLASSES},
            "identities": sum(counts.values()),
            "wallets": wallets[country],
        }
        for country, counts in sorted(table.items())
    ]


def holder_caps(
    source: ChainSource, index: EventIndex, countries: set[int]
) -> list[dict[str, Any]]:
    """Per engine: the totals against the token-wide caps, and each jurisdiction that has a cap
    or investors against its caps (every view of every engine in one batch)."""
    engines = [source.contract(name) for name in _engines(source)]
    scopes = []
    for name in _engines(source):
        capped = {
            int(e.args["country"])
            for e in index.events(contract=name, names=("JurisdictionSet",))
            if e.args["next"]["holderCap"] or e.args["next"]["nonAccreditedCap"]
        }
        scopes.append(sorted(capped | countries))
    views = batch_call(
        source,
        [
            call
            for engine, scope in zip(engines, scopes, strict=True)
            for call in (
                (engine, "limits", ()),
                (engine, "holderCounts", ()),
                *((engine, "jurisdiction", (c,)) for c in scope),
            )
        ],
        limit=None,
    )
    out = []
    at = 0
    for name, engine, scope in zip(_engines(source), engines, scopes, strict=True):
        limits, (total, non_accredited, supply) = views[at], views[at + 1]
        configs = views[at + 2 : at + 2 + len(scope)]
        at += 2 + len(scope)
        jurisdictions = []
        for country, (config, holders, retail) in zip(scope, configs, strict=True):
            jurisdictions.append(
                {
                    "country": country,
                    "allowed": bool(config[0]),
                    "holders": int(holders),
                    "holder_cap": int(config[2]),
                    "holder_level": _level(int(holders), int(config[2])),
                    "non_accredited": int(retail),
                    "non_accredited_cap": int(config[3]),
                    "non_accredited_level": _level(int(retail), int(config[3])),
                }
            )
        out.append(
            {
                "engine": name,
                "address": engine.address,
                "holders": int(total),
                "holder_cap": int(limits[7]),
                "holder_level": _level(int(total), int(limits[7])),
                "non_accredited": int(non_accredited),
                "non_accredited_cap": int(limits[8]),
                "non_accredited_level": _level(int(non_accredited), int(limits[8])),
                "supply": str(int(supply)),
                "jurisdictions": jurisdictions,
            }
        )
    return out


def _decision_json(d: Any) -> dict[str, Any]:
    return {
        "entry": d.entry_name,
        "ent_num": int(d.ent_num),
        "program": d.program,
        "list_version": d.list_version,
        "list_source": d.list_source,
        "decided_at": int(d.decided_at),
        "status": d.status,
        "action": d.action,
        "tx": d.tx_hash,
    }


# A token's own freezes (ERC-3643): a wallet frozen on that token, and tokens frozen in part.
TOKEN_FREEZE_EVENTS = ("AddressFrozen", "TokensFrozen", "TokensUnfrozen")


def token_freezes(
    source: ChainSource, indexes: list[EventIndex], block: int, tokens: dict[str, FreezableToken]
) -> dict[str, Any]:
    """Every freeze a token holds on a wallet, of both of its kinds, as the token's own views say
    at `block` (`isFrozen`, `getFrozenTokens`): "token" (the wallet frozen on that token: it can
    neither send nor receive it) and "partial" (that many of its tokens frozen), each with the
    last freeze event of the pair (who, when). The tokens are `tokens` (`freezable_tokens`: the
    record's and every fund's share token the funds page shows); their events come from
    `indexes` (the deployment's and the funds page's).

    A record token's pairs (any freeze event names) are all read, in batches, before anything is
    cut, and its newest MAX_FROZEN_SHOWN rows shown. A fund's share token is a contract its
    issuer chose (helper-90 F1-F3): only its newest MAX_FUND_TOKEN_PAIRS pairs are read, each
    read may fail without failing the page (counted in `unread`), and its rows are cut on their
    own, so no token's freezes push another's off the table. `more`: rows in effect not shown."""
    by_address = {t.address: t for t in tokens.values()}
    # Per pair, the last event of each kind: a row's who and when are its own kind's.
    last_wallet: dict[tuple[str, str], ChainEvent] = {}  # AddressFrozen
    last_part: dict[tuple[str, str], ChainEvent] = {}  # TokensFrozen / TokensUnfrozen
    for index in indexes:
        for e in index.events(names=TOKEN_FREEZE_EVENTS, until_block=block):
            key = (to_checksum_address(e.address), e.args["userAddress"])
            if key[0] not in by_address:
                continue
            kept_by_kind = last_wallet if e.event == "AddressFrozen" else last_part
            if key not in kept_by_kind or _position(kept_by_kind[key]) < _position(e):
                kept_by_kind[key] = e

    def newest(key: tuple[str, str]) -> tuple[int, int]:
        events = [e for e in (last_wallet.get(key), last_part.get(key)) if e is not None]
        return max(_position(e) for e in events)

    # Every pair is read: a lifted wallet freeze may leave a frozen part, and the reverse.
    per_token: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in sorted(set(last_wallet) | set(last_part), key=newest, reverse=True):
        per_token[key[0]].append(key)
    rows: list[tuple[tuple[int, int], dict[str, Any]]] = []
    more = unread = 0
    for address, pairs in per_token.items():
        token = by_address[address]
        if not token.recorded:
            unread += max(len(pairs) - MAX_FUND_TOKEN_PAIRS, 0)
            pairs = pairs[:MAX_FUND_TOKEN_PAIRS]
        contract = token.contract(source)
        calls = [(contract, v, (wallet,)) for _, wallet in pairs for v in FREEZE_READS]
        answers = [
            a
            for start in range(0, len(calls), MAX_BATCH_CALLS)
            for a in batch_call(
                source,
                calls[start : start + MAX_BATCH_CALLS],
                block,
                allow_failure=not token.recorded,
            )
        ]
        shown: list[tuple[tuple[int, int], dict[str, Any]]] = []
        for k, (_, wallet) in enumerate(pairs):
            frozen, partial = answers[2 * k], answers[2 * k + 1]
            if isinstance(frozen, CallFailure) or isinstance(partial, CallFailure):
                unread += 1
                continue
            at = newest((address, wallet))
            if frozen:
                e = last_wallet.get((address, wallet))
                shown.append((at, _freeze_row(e, wallet, token, "token", None, "all")))
            if int(partial):
                amount = _token_amount(source, address, int(partial))
                e = last_part.get((address, wallet))
                shown.append((at, _freeze_row(e, wallet, token, "partial", int(partial), amount)))
        more += max(len(shown) - MAX_FROZEN_SHOWN, 0)
        rows += shown[:MAX_FROZEN_SHOWN]
    rows.sort(key=lambda r: r[0], reverse=True)
    return {"rows": [r for _, r in rows], "more": more, "unread": unread}


def _position(e: ChainEvent) -> tuple[int, int]:
    return (e.block_number, e.log_index)


def _freeze_row(
    e: ChainEvent | None,
    wallet: str,
    token: FreezableToken,
    kind: str,
    amount: int | None,
    shown: str,
) -> dict[str, Any]:
    """One token freeze's row, its who and when from the last event of its own kind: `by` the
    agent of a wallet freeze (TokensFrozen names none); without such an event in the index (a
    freeze older than its bound) who and when are unknown (None)."""
    return {
        "wallet": wallet,
        "token": token.key,
        "token_name": token.label,
        "token_address": token.address,
        "kind": kind,
        "amount": amount,
        "amount_shown": shown,
        "block": e.block_number if e else None,
        "time": e.block_time if e else None,
        "tx": e.tx_hash if e else None,
        "by": e.args.get("owner") if e is not None and kind == "token" else None,
        "frozen_on_chain": True,
        "decisions": [],
    }


def frozen_wallets(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    """Every freeze in effect, of every kind: wallets whose last WalletFrozen froze them (the
    registry's identity-wide freeze, each with the screening decisions behind it), and each
    token's own freezes (`token_freezes`); and decisions not carried out yet."""
    last: dict[str, ChainEvent] = {}
    for e in index.events(contract=REGISTRY, names=("WalletFrozen",)):
        last[e.args["wallet"]] = e
    decisions: dict[str, list[Any]] = defaultdict(list)
    pending = []
    engine = store_of(source)
    if engine is not None:
        from keepers.compliance import decisions as stored_decisions

        for d in stored_decisions(engine, source.chain_id):
            decisions[d.wallet.lower()].append(d)
            if d.status == "pending":
                pending.append({"wallet": d.wallet, **_decision_json(d)})
    registry = source.contract(REGISTRY)
    rows = []
    frozen = [e for e in last.values() if e.args["frozen"]]
    for e in sorted(frozen, key=lambda e: (e.block_number, e.log_index))[-MAX_FROZEN_SHOWN:]:
        wallet = e.args["wallet"]
        rows.append(
            {
                "kind": "identity",
                "token": None,
                "amount": None,
                "amount_shown": "every token",
                "wallet": wallet,
                "identity": e.args["identity"],
                "by": e.args["by"],
                "block": e.block_number,
                "time": e.block_time,
                "tx": e.tx_hash,
                "frozen_on_chain": bool(registry.functions.isFrozen(wallet).call()),
                "decisions": [_decision_json(d) for d in decisions.get(wallet.lower(), [])],
            }
        )
    funds = fund_discovery(source, index.head)
    try:
        fund_indexes = _fund_indexes(source, funds.instruments)
    except ConsoleError as err:  # the funds' events could not be read: the record's still are
        funds = FundDiscovery([], f"the funds' share tokens' events could not be read: {err}")
        fund_indexes = []
    freezable = freezable_tokens(source, funds.instruments)
    indexes = [index, *fund_indexes]
    tokens = token_freezes(source, indexes, index.head, freezable)
    return {
        "frozen": rows[::-1],
        "token_frozen": tokens["rows"],
        "token_frozen_more": tokens["more"],
        "token_frozen_unread": tokens["unread"],
        "fund_discovery_error": funds.error,
        "frozen_all": rows[::-1] + tokens["rows"],  # the freeze form's picker
        "pending_decisions": pending,
        "store": engine is not None,
    }


def _key(event: ChainEvent, key_args: tuple[str, ...]) -> str:
    parts = [f"{a}={event.args[a]}" for a in key_args]
    return ", ".join(parts) or "token-wide"


def rule_groups(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rule changes as the page lists them: the changes one transaction made by one event of
    one contract collapsed into one group (a deployment's `setJurisdictions` sets 50 countries
    in one transaction: one line, its keys behind a disclosure), newest first; a single change
    is a group of one."""
    groups: list[dict[str, Any]] = []
    for r in rules:
        last = groups[-1] if groups else None
        if last and (last["tx"], last["contract"], last["event"]) == (
            r["tx"],
            r["contract"],
            r["event"],
        ):
            last["rows"].append(r)
        else:
            groups.append(
                {**{k: r[k] for k in ("block", "time", "tx", "contract", "event")}, "rows": [r]}
            )
    return groups[::-1]


def _changes(previous: Any, new: Any) -> list[dict[str, Any]]:
    if isinstance(previous, dict) and isinstance(new, dict):
        return [
            {"field": k, "previous": previous.get(k), "next": v}
            for k, v in new.items()
            if previous.get(k) != v
        ]
    return [] if previous == new else [{"field": "", "previous": previous, "next": new}]


def rule_changes(source: ChainSource, index: EventIndex) -> list[dict[str, Any]]:
    """Every rule change of the registry and the engines, oldest first, each with its previous
    value (the event's own, or the value the previous event of the same key set) and its new one."""
    contracts = {REGISTRY, *_engines(source)}
    events = [e for e in index.events(names=RULE_EVENTS) if e.contract in contracts]
    state: dict[tuple[str, str, str], Any] = {}
    rows = []
    for e in events:
        key_args, previous_arg, next_arg = RULE_EVENTS[e.event]
        key = _key(e, key_args)
        group = "ClaimTopic" if e.event.startswith("ClaimTopic") else e.event
        slot = (e.contract, group, key)
        if e.event == "ClaimTopicAdded":
            new: Any = True
        elif e.event == "ClaimTopicRemoved":
            new = False
        else:
            new = e.args[next_arg]
        previous = e.args[previous_arg] if previous_arg else state.get(slot)
        state[slot] = new
        rows.append(
            {
                "block": e.block_number,
                "time": e.block_time,
                "tx": e.tx_hash,
                "contract": e.contract,
                "event": e.event,
                "key": key,
                "previous": previous,
                "next": new,
                "changes": _changes(previous, new),
            }
        )
    return rows


def refusals(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    scanner = kept(source, "refusals", lambda: RefusalScanner(source))
    scanner.sync(index.head)
    found = scanner.refusals()
    messages: dict[int, str] = kept(source, "restriction-messages", dict)
    by_code: dict[tuple[int | None, str], dict[str, Any]] = {}
    for r in found:
        slot = (r.code, r.error)
        if slot not in by_code:
            if r.code is not None and r.code not in messages and source.has(TOKEN):
                token = source.contract(TOKEN)
                messages[r.code] = token.functions.messageForTransferRestriction(r.code).call()
            by_code[slot] = {
                "code": r.code,
                "error": r.error or "(no custom error)",
                "message": messages.get(r.code, "") if r.code is not None else "",
                "count": 0,
                "last_block": 0,
            }
        by_code[slot]["count"] += 1
        by_code[slot]["last_block"] = max(by_code[slot]["last_block"], r.block)
    return {
        "by_code": sorted(
            by_code.values(), key=lambda g: (g["code"] is None, g["code"] or 0, g["error"])
        ),
        "recent": [r.to_json() for r in found[-RECENT_REFUSALS_SHOWN:][::-1]],
        "total": len(found),
        "unread": sum(1 for r in found if not r.read),
        "max_reasons_per_read": MAX_REASONS_PER_SYNC,
        "watched": sorted(scanner.watched.values()),
        "scanned_to": scanner.next_block - 1,
    }


def read(source: ChainSource, index: EventIndex) -> dict[str, Any]:
    now = source.block_time()
    rows = investors(source, index, now)
    due = sorted(
        (r for r in rows if r["kyc_expiry"] <= now + KYC_DUE_DAYS * DAY),
        key=lambda r: r["kyc_expiry"],
    )
    rules = rule_changes(source, index)
    return {
        "chain_time": now,
        # An onboarding expiry must be after the chain's time (the demo's chain runs years ahead).
        "expiry_example": iso_utc(now + EXPIRY_EXAMPLE_DAYS * DAY)[:10],
        "investors": len(rows),
        "by_jurisdiction": by_jurisdiction(rows),
        "classes": list(INVESTOR_CLASSES),
        "caps": holder_caps(source, index, {r["country"] for r in rows}),
        "kyc_due_days": KYC_DUE_DAYS,
        "kyc_due": [{**r, "expired": r["kyc_expiry"] <= now} for r in due],
        **frozen_wallets(source, index),
        "rules": rules[-RULE_ROWS_SHOWN:][::-1],
        "rule_groups": rule_groups(rules)[:RULE_ROWS_SHOWN],
        "rules_total": len(rules),
        "refusals": refusals(source, index),
    }


# ------------------------------------------------------------------------------------- actions


def _onboard(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """The registry calls that bring every row of the CSV on chain (nothing for rows already
    there as given); refused whole, naming the first bad row, when any row is bad."""
    records, errors = parse_kyc_csv(form["csv"], now=source.block_time())
    if errors:
        first, rest = errors[0], errors[1:]
        more = f" (and {len(rest)} more bad line(s): {', '.join(str(e.line) for e in rest)})"
        raise ActionInputError(
            f"Onboarding CSV: line {first.line}: {first.error}{more if rest else ''}"
        )
    if not records:
        raise ActionInputError("Onboarding CSV: no investor rows after the header line")
    if len(records) > MAX_ONBOARDING_ROWS:
        raise ActionInputError(
            f"Onboarding CSV: {len(records)} rows; a batch holds at most {MAX_ONBOARDING_ROWS}"
        )
    registry = source.contract(REGISTRY)
    calls: list[Call] = []
    updated: set[str] = set()
    for kyc in records:
        wallet_identity = registry.functions.identity(kyc.wallet).call()
        country, klass, expiry, _, _, wallets, _ = registry.functions.profileOf(kyc.identity).call()
        state = OnChainInvestor(
            wallet_identity=None if wallet_identity == ZERO else wallet_identity,
            identity_wallet_count=int(wallets),
            identity_country=int(country),
            identity_class=int(klass),
            identity_expiry=int(expiry),
        )
        action = plan(kyc, state)
        if action.startswith("error"):
            raise ActionInputError(f"Onboarding CSV: line {kyc.line}: {action[7:]}")
        if action == "register":
            args = (kyc.wallet, kyc.identity, kyc.country, kyc.investor_class, kyc.expiry)
            calls.append(Call(REGISTRY, "registerInvestor", args))
        elif action == "update-profile" and kyc.identity not in updated:
            updated.add(kyc.identity)
            args = (kyc.identity, kyc.country, kyc.investor_class, kyc.expiry)
            calls.append(Call(REGISTRY, "setInvestorProfile", args))
    if not calls:
        raise ActionInputError("Onboarding CSV: every row is already on chain as given")
    return calls


ONBOARD = Action(
    name="compliance-onboard",
    title="Approve an onboarding batch",
    fields=(
        Field(
            "csv",
            "Onboarding CSV",
            "textarea",
            "wallet,country,investor_class,expiry,provider_reference[,identity]",
            default="wallet,country,investor_class,expiry,provider_reference",
        ),
    ),
    build=_onboard,
    help=(
        "KYC results, one wallet a row: country ISO 3166-1 numeric, investor_class retail / "
        "accredited / qualified / institutional, expiry YYYY-MM-DD. Every row is checked; a batch "
        f"with a bad row is refused. At most {MAX_ONBOARDING_ROWS} rows."
    ),
    calls=((REGISTRY, "registerInvestor"), (REGISTRY, "setInvestorProfile")),
)


@dataclass(frozen=True)
class FreezableToken:
    """A token with ERC-3643 freezes of its own: `key` is what the unfreeze form takes (the
    record's name, or a fund share token's address), `label` what a person reads (the record's
    name; a share token's symbol, its instrument's ISIN and its address: an ISIN and a symbol are
    the issuer's words, the address is the token's). `recorded`: a token of the record."""

    key: str
    abi: str
    address: str
    label: str
    recorded: bool = True

    def contract(self, source: ChainSource) -> Any:
        return source.contract(self.abi, self.address)


FREEZE_VIEWS = {"isFrozen", "getFrozenTokens", "setAddressFrozen", "unfreezePartialTokens"}
FREEZE_READS = ("isFrozen", "getFrozenTokens")


@dataclass(frozen=True)
class FundDiscovery:
    """The instruments the funds page shows (`keepers.lifecycle`'s discovery, as read for the
    funds page), or why they could not be read (`error`: the page goes on with the record's
    tokens only)."""

    instruments: list[dict[str, Any]]
    error: str | None = None


def fund_discovery(source: ChainSource, head: int) -> FundDiscovery:
    from keepers.console.pages import funds

    try:
        return FundDiscovery(funds.discovered(source, head))
    except ConsoleError as err:
        return FundDiscovery([], f"the funds' share tokens could not be read: {err}")


def freezable_tokens(
    source: ChainSource, instruments: list[dict[str, Any]]
) -> dict[str, FreezableToken]:
    """Every token an operator of the deployment sees that has freezes of its own, by form key:
    the record's tokens (`isFrozen`, `getFrozenTokens`, `setAddressFrozen`,
    `unfreezePartialTokens` in their ABI), and each share token of `instruments` (the funds
    page's, `fund_discovery`), built beside the record (issue 33 §3: every freeze there is)."""
    tokens = _record_tokens(source)
    recorded = {t.address for t in tokens.values()}
    if FREEZE_VIEWS <= _functions(source, FUND_SHARE_ABI):
        for instrument in instruments:
            address = to_checksum_address(instrument["terms"].share_token)
            if address in recorded or address in tokens:
                continue
            isin = instrument["terms"].isin
            isin = isin if is_valid_isin(isin) else "no valid ISIN"
            label = f"{_symbol(source, address)} ({isin}) {address}"
            tokens[address] = FreezableToken(address, FUND_SHARE_ABI, address, label, False)
    return tokens


def _freezable_at_head(source: ChainSource) -> tuple[dict[str, FreezableToken], str | None]:
    """`freezable_tokens` as the chain's head has them (the actions' view), with why the funds'
    share tokens could not be read, if so."""
    found = fund_discovery(source, int(source.w3.eth.block_number))
    return freezable_tokens(source, found.instruments), found.error


def _record_tokens(source: ChainSource) -> dict[str, FreezableToken]:
    tokens: dict[str, FreezableToken] = {}
    for name in sorted(source.record.contracts):
        abi = abi_name(name)
        if source.has(name) and FREEZE_VIEWS <= _functions(source, abi):
            tokens[name] = FreezableToken(name, abi, source.address(name), name)
    return tokens


def _functions(source: ChainSource, abi: str) -> set[str]:
    return {i.get("name") for i in source.abis.get(abi, ()) if i.get("type") == "function"}


def _fund_indexes(source: ChainSource, instruments: list[dict[str, Any]]) -> list[EventIndex]:
    """The funds page's event index over the discovered funds (their share tokens' freeze
    events), none when no instrument is found."""
    from keepers.console.pages import funds

    return [funds.fund_index(source, instruments)] if instruments else []


def _symbol(source: ChainSource, address: str) -> str:
    from keepers.console import describe

    unit = describe.for_source(source).unit(address)
    return unit.symbol if unit and unit.symbol else address


def _freeze(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """The registry's identity-wide freeze, or its lifting. A token's own freezes are its
    agents', lifted by TOKEN_UNFREEZE (a legal hold or a lost wallet's freeze is not lifted with
    a sanctions freeze): named in the refusal when the wallet is frozen only on a token."""
    wallet, action = form["wallet"], form["action"]
    frozen = source.contract(REGISTRY).functions.isFrozen(wallet).call()
    if action == "freeze" and frozen:
        raise ActionInputError(f"Wallet: {wallet} is already frozen")
    if action == "unfreeze" and not frozen:
        held = _token_freezes_of(source, wallet)
        if held:
            raise ActionInputError(
                f"Wallet: {wallet} is not frozen on the registry; its token freezes ("
                + ", ".join(held)
                + ") are lifted with “Lift a token's freeze”"
            )
        raise ActionInputError(f"Wallet: {wallet} is not frozen")
    return [Call(REGISTRY, action, (wallet,))]


def _token_freezes_of(source: ChainSource, wallet: str) -> list[str]:
    """`wallet`'s freezes on every freezable token (`freezable_tokens`), as `SecurityToken:
    wallet` or `SecurityToken: 1.5 QSPX`, read at the head; a share token that does not answer
    is said so, not fatal."""
    tokens = list(_freezable_at_head(source)[0].values())
    reads = [(token.contract(source), view, (wallet,)) for token in tokens for view in FREEZE_READS]
    answers = batch_call(source, reads, limit=None, allow_failure=True)
    held = []
    for k, token in enumerate(tokens):
        frozen, part = answers[2 * k], answers[2 * k + 1]
        if isinstance(frozen, CallFailure) or isinstance(part, CallFailure):
            held.append(f"{token.label}: could not be read")
            continue
        if frozen:
            held.append(f"{token.label}: wallet")
        if int(part):
            held.append(f"{token.label}: {_token_amount(source, token.address, int(part))}")
    return held


def _token_amount(source: ChainSource, address: str, amount: int) -> str:
    from keepers.console import describe

    unit = describe.for_source(source).unit(address)
    return format_amount(amount, unit.decimals if unit else None, unit.symbol if unit else None)


def _token_unfreeze(source: ChainSource, form: dict[str, Any]) -> list[Call]:
    """One token's own freeze of a wallet lifted by a token agent holding UNFREEZE: the wallet
    freeze (`setAddressFrozen(wallet, false)`) or its frozen part (`unfreezePartialTokens`, all of
    it or the amount given in whole units), refused when there is none. The token: the record's
    name (found without the funds' discovery), or the address of a token with freezes (a fund's
    share token, as the freezes table shows it)."""
    from keepers.compliance import AgentCapability
    from keepers.core.errors import QuanteraError
    from keepers.core.units import parse_units

    wallet, key, what = form["wallet"], form["token"].strip(), form["what"]
    chosen = _record_tokens(source).get(key)
    if chosen is None and is_address(key):
        tokens, error = _freezable_at_head(source)
        if error:
            raise ActionInputError(f"Token: {error}")
        chosen = next((t for t in tokens.values() if t.address == to_checksum_address(key)), None)
    if chosen is None:
        raise ActionInputError(
            f"Token: {key!r} is not a token with freezes (the record's name, or the address of a "
            "fund's share token as the freezes table shows it)"
        )
    token, name = chosen.contract(source), chosen.label

    def read(view: str, *args: Any) -> Any:
        [answer] = batch_call(source, [(token, view, args)], allow_failure=True)
        if isinstance(answer, CallFailure):
            raise ActionInputError(f"Token: {name} did not answer {view}: {redact_urls(answer)}")
        return answer

    target = {} if chosen.recorded else {"address": chosen.address}
    contract = chosen.key if chosen.recorded else chosen.abi
    unfreeze = int(AgentCapability.UNFREEZE)
    if what == "wallet freeze":
        if not read("isFrozen", wallet):
            raise ActionInputError(f"Wallet: {wallet} is not frozen on {name}")
        return [Call(contract, "setAddressFrozen", (wallet, False), capability=unfreeze, **target)]
    frozen = int(read("getFrozenTokens", wallet))
    if not frozen:
        raise ActionInputError(f"Wallet: {wallet} has no frozen part on {name}")
    amount = frozen
    if form["amount"] != "all":
        decimals = int(read("decimals"))
        try:
            amount = parse_units(form["amount"], decimals, "Amount")
        except QuanteraError as err:
            raise ActionInputError(str(err)) from None
        if amount > frozen:
            shown = _token_amount(source, chosen.address, frozen)
            raise ActionInputError(f"Amount: more than the {shown} frozen on {name}")
    args = (wallet, amount)
    return [Call(contract, "unfreezePartialTokens", args, capability=unfreeze, **target)]


FREEZE = Action(
    name="compliance-freeze",
    title="Freeze or unfreeze a wallet",
    fields=(
        Field("wallet", "Wallet", "address", "0x…", picks=("frozen_all", "wallet", "kind")),
        Field("action", "Action", "choice", choices=("freeze", "unfreeze"), default="freeze"),
    ),
    build=_freeze,
    help="Identity-wide: every wallet of the wallet's identity (freeze: COMPLIANCE_KEEPER; "
    "unfreeze: OPERATOR, a person's decision). A token's own freezes are lifted below.",
    calls=((REGISTRY, "freeze"), (REGISTRY, "unfreeze")),
)

TOKEN_UNFREEZE = Action(
    name="compliance-token-unfreeze",
    title="Lift a token's freeze",
    fields=(
        Field("wallet", "Wallet", "address", "0x…", picks=("token_frozen", "wallet", "token")),
        Field(
            "token", "Token", "text", "the record's name (SecurityToken) or a share token's address"
        ),
        Field(
            "what",
            "Freeze",
            "choice",
            choices=("wallet freeze", "frozen part"),
            default="wallet freeze",
        ),
        Field("amount", "Amount (frozen part)", "text", "whole units, or all", default="all"),
    ),
    build=_token_unfreeze,
    help="One token's own freeze (a legal hold, a lost wallet's freeze): its agent with the "
    "UNFREEZE capability lifts it, the token checks that, not the AccessManager.",
    who=lambda _source: [
        "setAddressFrozen and unfreezePartialTokens: a token agent of that token holding its "
        "UNFREEZE capability (the token's own check, not an AccessManager role); capabilities are "
        "granted through the token's governing AccessManager (its authority(): the deployment's "
        "GOVERNOR for the record's tokens, a fund stack's own manager for its share token)"
    ],
)

PAGE = Page("compliance", "Compliance", read, (ONBOARD, FREEZE, TOKEN_UNFREEZE))
