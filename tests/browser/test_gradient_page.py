"""Run the gradient-flow page in a real browser and check what its charts hold.

Each test opens /gradients.html from a real uvicorn process (see conftest.py),
sets the experiment's options, clicks Run and reads the figures back from the
Plotly divs (`div.data`, `div.layout`), comparing them with the API response
the page received.
"""

import math
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import PageLog
from tests.servers import screenshot_path

pytestmark = pytest.mark.browser

SCREENSHOT = screenshot_path("gradient-flow.png")
# A run of 60 blocks with 10 steps took about 5 s on a 2-core CPU machine, so
# the limit leaves room for a loaded CI machine.
FLOW_TIMEOUT_MS = 60_000
DEPTH_CHART = '[data-testid="gradient-chart"]'
LOSS_CHART = '[data-testid="loss-chart"]'
# Chromium logs every non-2xx response as a console error. The over-budget
# test expects this one and no other.
EXPECTED_422 = re.compile(r"Failed to load resource: .*status of 422")


def open_page(page: Page, hash_: str = "") -> None:
    """Open the page and wait until the run it starts on load has finished."""
    page.goto(f"/gradients.html{hash_}")
    expect(page.locator("#flow-section")).to_have_attribute(
        "data-state", re.compile("ready|error"), timeout=FLOW_TIMEOUT_MS
    )


def run_experiment(
    page: Page, *, blocks: int, batchnorm: bool = False, steps: int = 0
) -> Response:
    """Set the options, click Run and return the experiment's response."""
    page.fill("#blocks", str(blocks))
    page.set_checked("#batchnorm", batchnorm)
    page.fill("#steps", str(steps))
    with page.expect_response(
        "**/api/v1/gradient-flow", timeout=FLOW_TIMEOUT_MS
    ) as response_info:
        page.click("button#run-experiment")
    return response_info.value


def wait_for_points(page: Page, points: int) -> None:
    """Wait until the plain and residual traces both have `points` points."""
    page.wait_for_function(
        """([selector, points]) => {
          const data = document.querySelector(selector).data ?? [];
          const lines = data.filter(
            (trace) => trace.name === "plain" || trace.name === "residual",
          );
          return lines.length === 2 &&
            lines.every((trace) => trace.x.length === points);
        }""",
        arg=[DEPTH_CHART, points],
        timeout=FLOW_TIMEOUT_MS,
    )
    expect(page.locator("#flow-section")).to_have_attribute("data-state", "ready")


def chart_traces(page: Page, selector: str = DEPTH_CHART) -> dict[str, Any]:
    """Return the figure's traces by name, with plain lists for x, y, text."""
    traces: list[dict[str, Any]] = page.evaluate(
        """(selector) => document.querySelector(selector).data.map((trace) => ({
          name: trace.name,
          x: Array.from(trace.x ?? []),
          y: Array.from(trace.y ?? []),
          text: trace.text ? Array.from(trace.text) : null,
        }))""",
        selector,
    )
    return {trace["name"]: trace for trace in traces}


def chart_layout(page: Page, selector: str = DEPTH_CHART) -> Any:
    return page.evaluate(
        "(selector) => document.querySelector(selector).layout", selector
    )


def tick_labels(page: Page, selector: str) -> list[str]:
    """Return the x tick labels that the figure shows, as drawn in its SVG."""
    labels: list[str] = page.evaluate(
        """(selector) => Array.from(
          document.querySelectorAll(`${selector} .xtick text`),
          (tick) => tick.textContent,
        )""",
        selector,
    )
    return labels


def unexpected_console_errors(page_log: PageLog) -> list[str]:
    return [
        message
        for message in page_log.console_errors
        if not EXPECTED_422.search(message)
    ]


def test_plain_gradient_vanishes_without_batchnorm(
    page: Page, page_log: PageLog
) -> None:
    open_page(page)
    response = run_experiment(page, blocks=25, batchnorm=False, steps=0)
    assert response.status == 200, response.text()
    wait_for_points(page, 51)

    traces = chart_traces(page)
    assert set(traces) == {"plain", "residual"}, (
        f"a run without zeros or NaN should draw two traces, got {sorted(traces)}"
    )
    layout = chart_layout(page)
    assert layout["yaxis"]["type"] == "log", "the gradient axis is not log scale"
    networks = response.json()["networks"]
    for name in ("plain", "residual"):
        expected = networks[name]["at_init"]["weight_grad_norms"]
        assert traces[name]["y"] == expected, f"{name} trace differs from the API"
        assert traces[name]["x"] == list(range(51)), f"{name} x is not 0..50"

    plain = traces["plain"]["y"]
    assert plain[0] > 0, "the plain net's first gradient is 0 at 25 blocks"
    assert plain[0] < 1e-10 * plain[-1], (
        f"plain first gradient {plain[0]:.3g} is not far below its last {plain[-1]:.3g}"
    )
    residual = traces["residual"]["y"]
    assert 0.1 < residual[0] / residual[-1] < 10, (
        f"residual first/last is {residual[0] / residual[-1]:.3g}, not within 10×"
    )
    ratios = page.locator("#flow-ratios")
    expect(ratios).to_contain_text(
        re.compile(r"plain: first layer's gradient is \d\.\de-\d+ × the last's")
    )
    expect(ratios).to_contain_text(re.compile(r"residual: \d\.\d+×"))
    assert page_log.console_errors == [], "console errors during the run"
    assert page_log.page_errors == [], "uncaught exceptions during the run"
    assert page_log.external_requests == [], "requests to non-loopback hosts"


def test_zero_gradients_drawn_at_axis_floor(page: Page, page_log: PageLog) -> None:
    open_page(page)
    response = run_experiment(page, blocks=50, batchnorm=False, steps=0)
    assert response.status == 200, response.text()
    norms = response.json()["networks"]["plain"]["at_init"]["weight_grad_norms"]
    zeros = [index for index, norm in enumerate(norms) if norm == 0]
    assert zeros, "at 50 blocks the plain net's first gradients should be exactly 0"
    wait_for_points(page, 101)

    traces = chart_traces(page)
    plain = traces["plain"]
    assert len(plain["y"]) == 101, "zero layers were dropped from the plain trace"
    assert all(plain["y"][index] is None for index in zeros), (
        "a zero gradient is on the log line instead of a marker"
    )
    assert "plain: 0" in traces, f"no zero markers; traces: {sorted(traces)}"
    markers = traces["plain: 0"]
    assert markers["x"] == zeros, "zero markers are not at the zero layers"
    floor = markers["y"][0]
    assert all(y == floor for y in markers["y"]), "zero markers are not in one row"

    layout = chart_layout(page)
    yaxis = layout["yaxis"]
    ticks = dict(zip(yaxis["tickvals"], yaxis["ticktext"], strict=True))
    assert ticks.get(floor) == "0", f"the marker row is not labelled 0: {ticks}"
    positives = [
        y
        for trace in traces.values()
        for y in trace["y"]
        if y is not None and y > 0 and y != floor
    ]
    assert floor < min(positives), "the marker row is not below every value"
    low, high = layout["yaxis"]["range"]
    assert low < math.log10(floor) < high, "the marker row is outside the axis"
    expect(page.locator("#flow-ratios")).to_contain_text(
        "plain: first layer's gradient is 0 × the last's"
    )
    assert page_log.console_errors == [], "console errors during the run"
    assert page_log.page_errors == [], "uncaught exceptions during the run"


def test_nan_gradients_drawn_at_axis_floor(page: Page, page_log: PageLog) -> None:
    # Adam at lr 1 on 60 Kaiming-initialised blocks diverges within 10 steps,
    # so every gradient after training is NaN. The options come from the URL
    # hash, as a shared link would set them.
    with page.expect_response(
        "**/api/v1/gradient-flow", timeout=FLOW_TIMEOUT_MS
    ) as response_info:
        page.goto(
            "/gradients.html#blocks=60&width=32&init=kaiming&batch_size=4"
            "&steps=10&lr=1&phase=after"
        )
    response = response_info.value
    assert response.status == 200, response.text()
    after = response.json()["networks"]["plain"]["after_training"]
    assert after["non_finite"], "the lr-1 run did not diverge to NaN"
    nan_layers = [
        index for index, norm in enumerate(after["weight_grad_norms"]) if norm is None
    ]
    wait_for_points(page, 121)

    expect(page.locator("input[name=phase][value=after]")).to_be_checked()
    traces = chart_traces(page)
    assert "plain: NaN" in traces, f"no NaN markers; traces: {sorted(traces)}"
    assert traces["plain: NaN"]["x"] == nan_layers, "NaN markers are misplaced"
    ticktext = chart_layout(page)["yaxis"]["ticktext"]
    assert ticktext[0] in ("NaN", "0 / NaN"), f"no NaN label on the axis: {ticktext}"
    expect(page.locator("#flow-ratios")).to_contain_text("NaN or infinite")
    assert page_log.console_errors == [], "console errors during the run"
    assert page_log.page_errors == [], "uncaught exceptions during the run"


def test_over_budget_run_shows_server_message(page: Page, page_log: PageLog) -> None:
    open_page(page)
    response = run_experiment(page, blocks=50, batchnorm=False, steps=200)
    assert response.status == 422, response.text()
    message = response.json()["detail"][0]["msg"]

    status = page.locator("#flow-status")
    expect(status).to_contain_text(message)
    expect(status).to_have_attribute("data-kind", "error")
    expect(page.locator("#flow-section")).to_have_attribute("data-state", "error")
    assert unexpected_console_errors(page_log) == [], "console errors besides the 422"
    assert page_log.page_errors == [], "uncaught exceptions during the run"


def test_newer_run_aborts_older(page: Page, page_log: PageLog) -> None:
    open_page(page)
    # A seed no other test uses, so that the slow run is not in the cache.
    page.fill("#seed", "7")
    page.fill("#blocks", "25")
    page.fill("#steps", "40")
    with page.expect_request("**/api/v1/gradient-flow"):
        page.click("button#run-experiment")
    expect(page.locator("#flow-status")).to_contain_text("Running…")
    expect(page.locator("#cancel-experiment")).to_be_enabled()

    response = run_experiment(page, blocks=3, steps=0)
    assert response.status == 200, response.text()
    wait_for_points(page, 7)
    expect(page.locator("#flow-caption")).to_contain_text("3 blocks")
    aborted = [url for url in page_log.failed_requests if "gradient-flow" in url]
    assert len(aborted) == 1, f"expected one aborted run, got {aborted}"
    assert page_log.console_errors == [], "console errors after aborting"
    assert page_log.page_errors == [], "uncaught exceptions after aborting"


def test_trained_run_toggles_phase_and_shows_loss(
    page: Page, page_log: PageLog
) -> None:
    open_page(page)
    response = run_experiment(page, blocks=25, batchnorm=False, steps=20)
    assert response.status == 200, response.text()
    wait_for_points(page, 51)
    networks = response.json()["networks"]

    after_toggle = page.locator("input[name=phase][value=after]")
    expect(after_toggle).to_be_enabled()
    page.click("label:has(input[name=phase][value=after])")
    page.wait_for_function(
        """([selector, expected]) => {
          const trace = document.querySelector(selector).data
            .find((trace) => trace.name === "residual");
          return trace.y[0] === expected;
        }""",
        arg=[
            DEPTH_CHART,
            networks["residual"]["after_training"]["weight_grad_norms"][0],
        ],
    )
    expect(page.locator("#flow-ratios")).to_contain_text("After 20 training steps")

    losses = chart_traces(page, '[data-testid="loss-chart"]')
    for name in ("plain", "residual"):
        assert losses[name]["x"] == list(range(1, 21)), f"{name} loss steps"
        assert losses[name]["y"] == networks[name]["loss_per_step"], (
            f"{name} loss per step differs from the API"
        )
    assert page_log.console_errors == [], "console errors during the run"


def run_short_training(page: Page) -> None:
    """Run one block for three Adam steps and wait for the depth and loss charts.

    The stem and one block make three convs, and three steps give three losses.
    """
    response = run_experiment(page, blocks=1, batchnorm=False, steps=3)
    assert response.status == 200, response.text()
    wait_for_points(page, 3)
    page.wait_for_function(
        "(selector) => (document.querySelector(selector).data ?? []).length > 0",
        arg=LOSS_CHART,
    )


def test_step_and_layer_ticks_are_integers(page: Page) -> None:
    open_page(page)
    # On ranges as short as three layers or steps, Plotly's automatic ticks
    # fall on halves such as 0.5 and 1.5.
    run_short_training(page)

    for selector, first, last in ((DEPTH_CHART, 0, 2), (LOSS_CHART, 1, 3)):
        labels = tick_labels(page, selector)
        assert labels, f"{selector} shows no x ticks"
        # Plotly writes negative numbers with a minus sign (U+2212).
        values = [float(label.replace("\u2212", "-")) for label in labels]
        assert all(value.is_integer() for value in values), (
            f"{selector} has fractional ticks: {labels}"
        )
        assert min(values) >= first, f"{selector} ticks before {first}: {labels}"
        assert max(values) <= last, f"{selector} ticks after {last}: {labels}"


def test_page_fits_narrow_screen(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    open_page(page)
    run_short_training(page)

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the page is {scroll_width} px wide at 375 px"
    for selector in (DEPTH_CHART, LOSS_CHART):
        chart = page.locator(selector).bounding_box()
        title = page.locator(f"{selector} .xtitle").bounding_box()
        assert chart is not None, f"{selector} is not visible"
        assert title is not None, f"{selector} has no x axis title"
        assert title["x"] >= chart["x"], f"{selector}: the x title is cut on the left"
        assert title["x"] + title["width"] <= chart["x"] + chart["width"], (
            f"{selector}: the x title is cut on the right"
        )


def test_served_models_show_layer_gradients(
    page: Page, server_url: str, page_log: PageLog
) -> None:
    open_page(page)
    models = page.request.get(f"{server_url}/api/v1/models").json()["models"]
    for model in (model for model in models if model["id"] in ("resnet", "plain")):
        selector = f'[data-testid="layer-chart-{model["id"]}"]'
        page.wait_for_function(
            "(selector) => (document.querySelector(selector).data ?? []).length > 0",
            arg=selector,
            timeout=FLOW_TIMEOUT_MS,
        )
        layout = chart_layout(page, selector)
        names = [layer["name"] for layer in model["layers"]]
        assert layout["xaxis"]["categoryarray"] == names, (
            f"{model['id']}: layers are not in forward order"
        )
        assert layout["yaxis"]["type"] == "log"
        traces = chart_traces(page, selector)
        activation = traces["‖∂l/∂a‖ (layer output)"]
        assert activation["x"] == names, f"{model['id']}: a layer lost its place"
        weights = traces["‖∂l/∂W‖ (conv, linear)"]
        assert weights["x"][0] == names[0], f"{model['id']}: first conv is missing"
        expect(page.locator(f"#layer-summary-{model['id']}")).to_contain_text(
            "Predicts"
        )
    assert page_log.console_errors == [], "console errors while loading"


def wait_for_layer_chart(page: Page, model_id: str, first_norm: float) -> None:
    """Wait until the model's ‖∂l/∂a‖ trace starts with `first_norm`."""
    page.wait_for_function(
        """([selector, expected]) => {
          const data = document.querySelector(selector).data ?? [];
          const trace = data.find((trace) => trace.name.startsWith("‖∂l/∂a‖"));
          return trace !== undefined && trace.y[0] === expected;
        }""",
        arg=[f'[data-testid="layer-chart-{model_id}"]', first_norm],
        timeout=FLOW_TIMEOUT_MS,
    )


def test_drawn_digit_updates_layer_charts(page: Page, page_log: PageLog) -> None:
    open_page(page)
    expect(page.locator("#layer-summary-resnet")).to_contain_text(
        "Predicts", timeout=FLOW_TIMEOUT_MS
    )
    canvas = page.locator("#grad-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None, "#grad-canvas is not visible"
    x = box["x"] + 0.5 * box["width"]
    page.mouse.move(x, box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(x, box["y"] + 0.85 * box["height"], steps=12)
    with page.expect_response("**/api/v1/gradients") as response_info:
        page.mouse.up()

    response = response_info.value
    assert response.status == 200, response.text()
    request = response.request.post_data_json
    assert request is not None, "the gradients request has no JSON body"
    assert request["png"].startswith("data:image/png;base64,"), "no PNG was sent"
    assert "target" not in request, "the default target is not the prediction"
    body = response.json()
    wait_for_layer_chart(page, body["model"], body["layers"][0]["activation_grad_norm"])
    expect(page.locator(f"#layer-summary-{body['model']}")).to_contain_text(
        f"against target {body['prediction']}"
    )
    assert page_log.console_errors == [], "console errors while drawing"
    assert page_log.page_errors == [], "uncaught exceptions while drawing"


def test_target_select_sets_loss_class(page: Page) -> None:
    open_page(page)
    expect(page.locator("#layer-summary-plain")).to_contain_text(
        "Predicts", timeout=FLOW_TIMEOUT_MS
    )
    with page.expect_response("**/api/v1/gradients") as response_info:
        page.select_option("#grad-target", "7")

    response = response_info.value
    assert response.status == 200, response.text()
    request = response.request.post_data_json
    assert request is not None, "the gradients request has no JSON body"
    assert request["target"] == 7
    body = response.json()
    assert body["target"] == 7
    wait_for_layer_chart(page, body["model"], body["layers"][0]["activation_grad_norm"])
    expect(page.locator(f"#layer-summary-{body['model']}")).to_contain_text(
        "against target 7"
    )


def test_history_charts_render(page: Page, page_log: PageLog) -> None:
    open_page(page)
    for model_id in ("resnet", "plain"):
        selector = f'[data-testid="history-heatmap-{model_id}"]'
        page.wait_for_function(
            "(selector) => (document.querySelector(selector).data ?? []).length > 0",
            arg=selector,
            timeout=FLOW_TIMEOUT_MS,
        )
    loss = chart_traces(page, '[data-testid="history-loss"]')
    accuracy = chart_traces(page, '[data-testid="history-accuracy"]')
    for model_id in ("resnet", "plain"):
        assert model_id in loss, f"no training loss line for {model_id}"
        assert model_id in accuracy, f"no test accuracy line for {model_id}"
        assert len(loss[model_id]["y"]) == len(accuracy[model_id]["y"]) > 0
    expect(page.locator("#history-status")).to_be_empty()
    assert page_log.console_errors == [], "console errors while loading"


def test_page_links_back_and_loads_locally(page: Page, page_log: PageLog) -> None:
    open_page(page)
    expect(page.locator("#back-link")).to_have_attribute("href", "/")
    plotly_urls = [url for url in page_log.requests if "plotly" in url]
    assert plotly_urls, "the page never requested plotly.js"
    assert all(url.endswith("/vendor/plotly.min.js") for url in plotly_urls)
    assert page_log.external_requests == [], "requests to non-loopback hosts"


def test_screenshot_of_trained_run(page: Page) -> None:
    open_page(page)
    response = run_experiment(page, blocks=25, batchnorm=False, steps=20)
    assert response.status == 200, response.text()
    wait_for_points(page, 51)
    for selector in (
        '[data-testid="loss-chart"]',
        '[data-testid="layer-chart-resnet"]',
        '[data-testid="layer-chart-plain"]',
        '[data-testid="history-heatmap-plain"]',
    ):
        page.wait_for_function(
            "(selector) => (document.querySelector(selector).data ?? []).length > 0",
            arg=selector,
            timeout=FLOW_TIMEOUT_MS,
        )

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000, "the screenshot looks empty"
