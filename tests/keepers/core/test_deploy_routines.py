"""The protocol is built one way (issue 16 §1, FND-17): every protocol contract (those under
`contracts/<domain>/`, test doubles under `contracts/test/` aside) that the deploy script, a
benchmark, a contract-test fixture or the demo deploys is deployed by its domain's deploy steps
(`keepers/<domain>/deploy.py`, in a `Deployment`), never assembled by hand beside them."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Who builds the system: the scripts, the contract-test fixtures and the demo.
BUILDERS = [
    *sorted((ROOT / "scripts").glob("*.py")),
    *sorted((ROOT / "tests" / "contracts").glob("*_fixtures.py")),
    ROOT / "tests" / "contracts" / "conftest.py",
    *sorted((ROOT / "keepers" / "demo").glob("*.py")),
]
DEPLOY_CALL = re.compile(r"(?:\.deploy\(\s*project\.(\w+)|project\.(\w+)\.deploy\()")


def protocol_contracts() -> set[str]:
    return {
        path.stem
        for path in (ROOT / "contracts").rglob("*.sol")
        if "test" not in path.relative_to(ROOT / "contracts").parts
        and re.search(rf"^\s*contract\s+{path.stem}\b", path.read_text(), re.M)
    }


def hand_deployments(text: str, protocol: set[str]) -> list[str]:
    return [
        name for match in DEPLOY_CALL.finditer(text) for name in match.groups() if name in protocol
    ]


def test_protocol_contracts__deployed_by_their_domain_steps_only():
    protocol = protocol_contracts()
    assert {
        "RiskEngine",
        "PortfolioVault",
        "SecurityToken",
        "LiquidityAggregator",
        "AutoRebalancer",
    } <= protocol
    problems = [
        f"{path.relative_to(ROOT)} deploys {name} itself: use keepers/<domain>/deploy.py's step"
        for path in BUILDERS
        for name in hand_deployments(path.read_text(), protocol)
    ]
    assert not problems, "\n".join(problems)


def test_hand_deployment__found_in_either_spelling():
    protocol = {"RiskEngine", "RiskLens"}
    text = (
        "a = d.deploy(project.RiskEngine, m)\n"
        "b = project.RiskLens.deploy(sender=x)\n"
        "c = d.deploy(project.Other)\n"
    )
    assert hand_deployments(text, protocol) == ["RiskEngine", "RiskLens"]
