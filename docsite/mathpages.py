"""The mathematics pages' generated parts, from the report of `python -m derivations`.

Markers a page may hold, each replaced when the site is built:

- `<!-- derivations:claims -->`: the lesson's claims ledger, each claim linked to its
  section on a topic page (links are relative to `docs/math.md`, the one page that
  holds this marker);
- `<!-- derivations:checks -->`: every check, linked to where a topic page shows it
  (likewise for `docs/math.md`);
- `<!-- derivations:claim <id> -->`: one claim of the ledger as a section: the lesson's
  words (the Chinese original and our English), the verdict, and for every check that
  decides it the statement as display math and the proof steps;
- `<!-- derivations:topic <topic> -->`: the checks of a derivations topic that no claim
  on the same page already shows, each with its statement and steps.

Which topic page shows which claim, under which title, and the lesson's original words
are in `PAGES`; everything else (claims, verdicts, formulas, steps) comes from the code.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

CHECKS = "<!-- derivations:checks -->"
CLAIMS = "<!-- derivations:claims -->"
_CLAIM = re.compile(r"<!-- derivations:claim ([a-z0-9_]+) -->")
_TOPIC = re.compile(r"<!-- derivations:topic ([a-z0-9_]+) -->")


@dataclasses.dataclass(frozen=True)
class ClaimPage:
    """Where a claim of the ledger is shown.

    Attributes:
        page: The topic page, `docs/math/<page>.md`.
        title: The section's heading.
        quote: The lesson's own words (Chinese), briefly; lost signs restored.
    """

    page: str
    title: str
    quote: str


PAGES: dict[str, ClaimPage] = {
    "topological_order_needed": ClaimPage(
        "../graph",
        "Without a topological order nothing can be computed",
        "拓朴排序在咱们的神经网络中的作用不是为了计算方便，是为了能计算。"
        "换句话说，没有拓朴排序的话根本就没法计算了。",
    ),
    "graph_before_or_while_running": ClaimPage(
        "../graph",
        "A graph built before running, or while running",
        "Tensorflow在运行之前必须得把拓朴排序建好，PyTorch是在运行的过程中自己根据我们的"
        "连接状况一边运行一边建立。但是它们都有拓朴排序。",
    ),
    "sigmoid_properties": ClaimPage(
        "activations",
        "Sigmoid: range, smoothness, mean",
        "Sigmoid有个天然的优势就是它输出是0-1，而且它处处可导。……平均值是0.5",
    ),
    "sigmoid_slower_than_relu": ClaimPage(
        "../graph",
        "Is sigmoid slower than ReLU?",
        "Sigmoid的结果有个e^x指数运算，就比较费时……而且它的求导会变得非常的快，比求指数的导数快多了。",
    ),
    "tanh_is_arctangent": ClaimPage(
        "activations",
        "tanh is not the arctangent",
        "于是就又提出来了一个更简单的方法就是反正切函数Tanh。……它的平均值是0。",
    ),
    "saturation_loss_is_zero": ClaimPage(
        "activations",
        "Saturation: the derivative vanishes, not the loss",
        "Tanh和sigmoid一样都有一个小问题，就是它的绝大多数地方loss都等于0，"
        "那么wi大部分时候就没有办法学习",
    ),
    "relu_derivative": ClaimPage(
        "activations",
        "ReLU's derivative and its value at 0",
        "ReLU其实在0点的时候不可导怎么办？……直接给他一个0的值就可以了",
    ),
    "leaky_relu_differentiable_everywhere": ClaimPage(
        "activations",
        "LeakyReLU is not differentiable at 0",
        "它把小于0的这些地方也加了一个很小的梯度……那这样就可以实现处处有导数。",
    ),
    "stacked_linear_is_linear": ClaimPage(
        "affine",
        "Stacked linear layers collapse",
        "g(f(x)) = w2·(w·x + b) + b，然后就变成w2·w·x + w2·b + b，那其实这个就还是一个线性函数。",
    ),
    "alternating_layers_fit_anything": ClaimPage(
        "affine",
        "Linear and nonlinear layers, alternated",
        "我们每一段都给它进行一个线性变化，再进行一个非线性变化……理论上它可以拟合任何函数。",
    ),
    "fourier_represents_any_function": ClaimPage(
        "approximation",
        "Fourier series",
        "任何连续、周期或非周期的函数都可以表示为正弦和余弦函数的组合。",
    ),
    "everything_is_a_taylor_polynomial": ClaimPage(
        "approximation",
        "Taylor polynomials",
        "所有的复杂函数都是用泰勒展开转换成多项式函数计算的。",
    ),
    "forward_before_backward": ClaimPage(
        "losses",
        "Forward before backward; prediction without a loss",
        "预测的时候需不需要求loss？……在进行反向传播之前能不能不进行前向传播？",
    ),
    "precision_recall_not_a_loss": ClaimPage(
        "losses",
        "Precision and recall are not losses",
        "我们能不能用precision来做我们的loss函数？不能对吧，无法求导。",
    ),
    "mse_and_cross_entropy_differentiable": ClaimPage(
        "losses",
        "MSE and cross-entropy are differentiable",
        "像我们所说的MSE是可导的，cross-entropy也是可以求导的。",
    ),
    "continuity_necessary_not_sufficient": ClaimPage(
        "losses",
        "Continuity and differentiability",
        "连续性呢是可求导的一个必要条件，但不是充分条件",
    ),
    "loss_must_be_convex": ClaimPage(
        "losses",
        "A loss need not be convex",
        "对于loss函数的设定第一点一定是要能求偏导的。第二呢就是它一定得是一个凸函数",
    ),
    "convexity_definition": ClaimPage(
        "losses",
        "What convex means",
        "如果一个函数上的任意两点连线上的函数值都不低于这两点的函数值的线段就称为凸函数。",
    ),
    "common_functions_convex": ClaimPage(
        "losses",
        "Which common functions are convex",
        "常见的比如线性函数、指数函数、幂函数、绝对值函数等都是凸函数。",
    ),
    "softmax_then_cross_entropy": ClaimPage(
        "losses",
        "Softmax before CrossEntropyLoss",
        "model = nn.Sequential(nn.Linear(10, 5), nn.Sigmoid(), nn.Linear(5, 8), nn.Softmax())"
        "；loss_fn = nn.CrossEntropyLoss()",
    ),
}

#: The topic page that lists a derivations topic's remaining checks.
TOPIC_PAGES = {
    "activations": "activations",
    "crosscheck": "activations",
    "affine": "affine",
    "fourier": "approximation",
    "taylor": "approximation",
    "convexity": "losses",
    "softmax": "losses",
    "backprop": "losses",
    "computation": "../graph",
}

_ADMONITION = {"holds": "success", "holds with a caveat": "warning", "wrong": "failure"}


@functools.cache
def report() -> tuple[list[Any], list[dict[str, Any]]]:
    """`(results, claims)` of the whole derivations report, computed once per build."""
    from derivations.__main__ import report

    return report()


def _results() -> dict[str, Any]:
    return {result.id: result for result in report()[0]}


def _claims() -> dict[str, dict[str, Any]]:
    return {claim["id"]: claim for claim in report()[1]}


def claim_anchor(claim_id: str) -> str:
    """The HTML id of a claim's section, e.g. `claim-tanh-is-arctangent`."""
    return "claim-" + claim_id.replace("_", "-")


def check_anchor(check_id: str) -> str:
    """The HTML id of a check in a topic listing, e.g. `check-affine-scalar-collapse`."""
    return "check-" + re.sub(r"[._]", "-", check_id)


def check_home(check_id: str) -> tuple[str, str]:
    """`(page, anchor)` where a check is shown: under the first claim it decides, if any."""
    for claim_id, where in PAGES.items():
        if check_id in _claims()[claim_id]["checks"]:
            return where.page, claim_anchor(claim_id)
    return TOPIC_PAGES[check_id.split(".", 1)[0]], check_anchor(check_id)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """Text from the code, shown as plain prose: no Markdown, HTML or math in it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]$|#])", r"\\\1", text)


def checks_table() -> str:
    """Every check, linked to where a topic page shows it (relative to `docs/math.md`)."""
    results, _ = report()
    rows = ["| check | claim | verified |", "|---|---|---|"]
    for result in results:
        mark = "yes" if result.verified else "**no**"
        page, anchor = check_home(result.id)
        link = f"[`{result.id}`](math/{page}.md#{anchor})"
        rows.append(f"| {link} | {_cell(result.claim)} | {mark} |")
    return "\n".join(rows)


def claims_table() -> str:
    """The claims ledger, each claim linked to its section (relative to `docs/math.md`)."""
    _, claims = report()
    rows = ["| the lesson says | verdict | correction | decided by |", "|---|---|---|---|"]
    for claim in claims:
        where = PAGES[claim["id"]]
        said = f"[{_cell(claim['claim'])}](math/{where.page}.md#{claim_anchor(claim['id'])})"
        checks = ", ".join(f"`{check}`" for check in claim.get("checks", ()))
        rows.append(
            f"| {said} | {claim['verdict']} | {_cell(claim.get('correction') or '')} | {checks} |"
        )
    return "\n".join(rows)


def _math(tex: str) -> str:
    return f"$$\n{tex.strip()}\n$$"


def check_block(result: Any, *, anchor: bool = False) -> str:
    """One check: what it establishes, its statement as display math, its proof steps."""
    status = "verified" if result.verified else "**not verified**"
    lines = [f'<a id="{check_anchor(result.id)}"></a>', ""] if anchor else []
    lines += [f"**`{result.id}`** ({status}): {_prose(result.claim)}.", ""]
    if result.statement:
        lines += [_math(result.statement), ""]
    steps = tuple(getattr(result, "steps", ()))
    if steps:
        lines += [
            "Proof steps:",
            "",
            _math(r"\begin{gathered}" + r" \\ ".join(steps) + r"\end{gathered}"),
            "",
        ]
    if result.detail:
        lines += [f"<small>How: {_prose(result.detail)}</small>", ""]
    return "\n".join(lines)


def claim_block(claim_id: str) -> str:
    """A claim's section: the lesson's words, the verdict, and the checks deciding it."""
    if claim_id not in PAGES:
        raise ValueError(f"no claim {claim_id!r} in docsite.mathpages.PAGES")
    claim, where, results = _claims()[claim_id], PAGES[claim_id], _results()
    verdict = claim["verdict"]
    decided = "" if claim["decided"] else " (undecided: a deciding check failed)"
    body = claim.get("correction") or "The checks below establish it as stated."
    lines = [
        f"## {where.title} {{#{claim_anchor(claim_id)}}}",
        "",
        f"> **The lesson:** 「{where.quote}」",
        ">",
        f"> **In our words:** {_prose(claim['claim'])}",
        "",
        f'!!! {_ADMONITION[verdict]} "Verdict: {verdict}{decided}"',
        "",
        f"    {_prose(body)}",
        "",
    ]
    lines += [check_block(results[check]) for check in claim["checks"]]
    return "\n".join(lines)


def topic_block(topic: str, shown: set[str]) -> str:
    """The checks of `topic` not in `shown`, each with an anchor for the checks table."""
    rest = [r for r in report()[0] if r.topic == topic and r.id not in shown]
    return "\n".join(check_block(result, anchor=True) for result in rest)


def expand(markdown: str) -> str:
    """Replaces the derivations markers the page has."""
    if CHECKS in markdown:
        markdown = markdown.replace(CHECKS, checks_table())
    if CLAIMS in markdown:
        markdown = markdown.replace(CLAIMS, claims_table())
    named = _CLAIM.findall(markdown)
    unknown = [claim_id for claim_id in named if claim_id not in PAGES]
    if unknown:
        raise ValueError(f"unknown claim(s) {unknown} in a derivations marker; see PAGES")
    shown = {check for claim_id in named for check in _claims()[claim_id]["checks"]}
    markdown = _CLAIM.sub(lambda m: claim_block(m.group(1)), markdown)
    return _TOPIC.sub(lambda m: topic_block(m.group(1), shown), markdown)
