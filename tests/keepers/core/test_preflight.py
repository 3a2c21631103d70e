"""FND-12: the deploy script's pre-flight checks of its inputs, without a chain
(keepers/core/preflight.py). The same checks against a chain run in test_deploy_live.py."""

import yaml

from keepers.core.preflight import ZERO_ADDRESS, check_balance, check_options, load_feeds

SYMBOLS = ["USDC", "QTF", "QSPX"]
DEPLOYER = "0x6Dd3493b6f1a9C9084ec7280df73A16FbcE45dE9"
GOVERNOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
GUARDIAN = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
OPERATOR = "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"
ADMIN = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
FEED_A = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
FEED_B = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
TOKEN_A = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
TOKEN_B = "0x976EA74026E726554dB657fA54763abd0C3a0aa9"


def entry(token=None, primary=FEED_A, **extra) -> dict:
    return {
        **({"token": token} if token else {}),
        "primary": primary,
        "heartbeat": 86400,
        "min_price": 10**17,
        "max_price": 10**21,
        **extra,
    }


def feeds_file(tmp_path, data, text: str | None = None):
    path = tmp_path / "feeds.ethereum-sepolia.yaml"
    path.write_text(text if text is not None else yaml.safe_dump(data))
    return path


def test_load_feeds__well_formed__feed_config_per_symbol_and_compliance_token_left_to_deployment(
    tmp_path,
):
    path = feeds_file(
        tmp_path,
        {
            "USDC": entry(TOKEN_A),
            "QTF": entry(primary=FEED_B),
            "QSPX": entry(
                TOKEN_B, secondary=FEED_B, secondary_heartbeat=3600, max_deviation_bps=100
            ),
        },
    )
    assets, problems = load_feeds(path, SYMBOLS, "QTF")
    assert problems == []
    assert assets["USDC"].token == TOKEN_A and assets["QTF"].token is None
    assert assets["USDC"].feed == (FEED_A, 86400, ZERO_ADDRESS, 0, 0, 10**17, 10**21)
    assert assets["QSPX"].feed == (FEED_A, 86400, FEED_B, 3600, 100, 10**17, 10**21)
    assert assets["QSPX"].feeds == [FEED_A, FEED_B]


def test_load_feeds__every_kind_of_mistake__each_named_on_one_line(tmp_path):
    text = yaml.safe_dump(
        {
            "USDC": entry(TOKEN_A, secondary=FEED_B),  # no secondary heartbeat / deviation
            # same token as USDC, zero heartbeat, unknown key
            "QSPX": entry(TOKEN_A, heartbeat=0, spare=1),
            "QOIL": entry(TOKEN_B),  # not in the portfolio
        }
    ) + (
        "QTF: {primary: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8, heartbeat: 1, "
        "min_price: 2, max_price: 1}\n"
    )
    assets, [problem] = load_feeds(feeds_file(tmp_path, None, text), SYMBOLS, "QTF")
    unquoted = int(FEED_A, 16)  # YAML reads an unquoted 0x... as a number
    assert "\n" not in problem and assets == {}
    for expected in (
        "QOIL not in the portfolio",
        "USDC.secondary_heartbeat is missing",
        "USDC.max_deviation_bps is missing",
        "QSPX.heartbeat must be an integer in [1, 4294967295], not 0",
        "QSPX: unknown key(s) spare",
        f"QTF.primary {unquoted} is not an address (0x and 40 hex digits, quoted in YAML)",
        "QTF.min_price 2 is above max_price 1",
    ):
        assert expected in problem, (expected, problem)


def test_load_feeds__duplicate_token__named(tmp_path):
    path = feeds_file(tmp_path, {"USDC": entry(TOKEN_A), "QTF": entry(), "QSPX": entry(TOKEN_A)})
    _, [problem] = load_feeds(path, SYMBOLS, "QTF")
    assert f"token {TOKEN_A} is named for more than one asset" in problem


def test_load_feeds__missing_or_not_yaml__one_problem(tmp_path):
    assert load_feeds(tmp_path / "absent.yaml", SYMBOLS, "QTF")[1][0].endswith(
        "absent.yaml is missing: live networks take token and feed addresses from it"
    )
    _, [problem] = load_feeds(feeds_file(tmp_path, None, "USDC: [unclosed\n"), SYMBOLS, "QTF")
    assert "is not valid YAML" in problem and "(line" in problem


def test_check_options__live_roles__required_checksummed_and_distinct():
    problems = check_options(
        DEPLOYER,
        [
            ("--guardian", GOVERNOR),
            ("--governor", GOVERNOR),
            ("--operator", None),
            ("--token-agent", GUARDIAN.lower()),
            ("--compliance-keeper", ZERO_ADDRESS),
        ],
        ("--guardian", "--governor", "--operator"),
    )
    assert problems == [
        "--operator is required on live networks",
        f"--token-agent {GUARDIAN.lower()} is not checksummed (EIP-55: {GUARDIAN})",
        "--compliance-keeper is the zero address",
        "--governor and --guardian must be different addresses",
    ]
    assert check_options(DEPLOYER, [("--governor", DEPLOYER), ("--guardian", GUARDIAN)], ()) == [
        "--governor must not be the deploying account"
    ]
    assert check_options(
        DEPLOYER, [("--token-agent", GUARDIAN), ("--compliance-keeper", GUARDIAN)], ()
    ) == ["--token-agent and --compliance-keeper must be different addresses"]


def test_check_balance__below_estimate__names_what_is_held_and_needed():
    assert check_balance(10**18, 10_000_000, 10**9, DEPLOYER) == []
    [problem] = check_balance(10**15, 10_000_000, 10**9, DEPLOYER)
    assert problem == (
        f"deployer {DEPLOYER} holds 0.001000 ETH; the deployment needs about 0.010000 ETH "
        "(10,000,000 gas at 1.000 gwei)"
    )


def test_check_options__live_admin__required_and_nobody_elses():
    """UPG-5: ADMIN re-wires who upgrades and who vetoes; on a live network it is a key of its
    own, never the governor's, the guardian's, or the deploying hot key."""
    live = ("--guardian", "--governor", "--operator", "--admin")
    roles = [("--guardian", GUARDIAN), ("--governor", GOVERNOR), ("--operator", OPERATOR)]
    assert check_options(DEPLOYER, [*roles, ("--admin", None)], live) == [
        "--admin is required on live networks"
    ]
    assert check_options(DEPLOYER, [*roles, ("--admin", GOVERNOR)], live) == [
        "--admin and --governor must be different addresses"
    ]
    assert check_options(DEPLOYER, [*roles, ("--admin", GUARDIAN)], live) == [
        "--admin and --guardian must be different addresses"
    ]
    assert check_options(DEPLOYER, [*roles, ("--admin", DEPLOYER)], live) == [
        "--admin must not be the deploying account"
    ]
    assert check_options(DEPLOYER, [*roles, ("--admin", ADMIN)], live) == []


def test_portfolio_file__name_or_symbol_not_text__one_line_naming_the_key(tmp_path):
    """helper-110 Low: YAML reads `symbol: ON` as true and `name: 1` as a number; the pre-flight's
    length check then raised a traceback instead of refusing the file in one line."""
    import pytest

    from keepers.vault.portfolio import DEFAULT_PORTFOLIO, PortfolioError, load_portfolio

    data = yaml.safe_load(DEFAULT_PORTFOLIO.read_text())
    for key, value in (("symbol", "ON"), ("name", "1"), ("symbol", "''")):
        path = tmp_path / f"{key}.yaml"
        text = yaml.safe_dump({k: v for k, v in data.items() if k != key})
        path.write_text(f"{key}: {value}\n{text}")
        with pytest.raises(PortfolioError) as raised:
            load_portfolio(path)
        message = str(raised.value)
        assert "\n" not in message and f"{key} " in message and "text" in message, message
    assert load_portfolio(DEFAULT_PORTFOLIO).symbol == data["symbol"]
