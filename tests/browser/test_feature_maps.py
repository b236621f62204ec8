"""Feature maps, filters and parameters views in a real browser.

Each test opens the page served by a real uvicorn process (see conftest.py),
draws with mouse strokes on #draw-canvas where it needs a digit, and reads
what the views show from the DOM and the Plotly divs.
"""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PageLog
from tests.browser.test_draw_digit import DIGIT_STROKES, draw, open_app
from tests.servers import screenshot_path

pytestmark = pytest.mark.browser

SCREENSHOT = screenshot_path("feature-maps.png")
# Long enough for an activations round trip on a loaded CI machine.
TIMEOUT_MS = 15_000
FEATURE_MAP = '[data-testid="feature-map"]'
# Chromium logs every 4xx response itself ("Failed to load resource: the
# server responded with a status of 422"); the page shows the reason.
CHROMIUM_422 = re.compile(r"Failed to load resource.*\b422\b")


def layer_button(page: Page, name: str) -> Locator:
    return page.locator(f'[data-testid="layer-{name}"]')


def unexpected_console_errors(page_log: PageLog) -> list[str]:
    return [text for text in page_log.console_errors if not CHROMIUM_422.search(text)]


def open_maps(page: Page, model_id: str, layer: str) -> None:
    """Switch to the feature maps view, pick the model, then the layer."""
    page.click("#tab-maps")
    page.click(f'[data-testid="model-{model_id}"]')
    layer_button(page, layer).click()
    expect(layer_button(page, layer)).to_have_attribute("aria-selected", "true")


def maps_signature(page: Page) -> str:
    """Return the pixels of every feature map canvas, joined."""
    signature: str = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
          .map((tile) => tile.querySelector("canvas").toDataURL())
          .join("|")""",
        FEATURE_MAP,
    )
    return signature


def test_maps_without_drawing_say_so(page: Page, page_log: PageLog) -> None:
    page.goto("/#view=maps&model=cnn&layer=conv1")

    expect(page.locator("#maps-message")).to_contain_text(
        re.compile("draw a digit", re.IGNORECASE), timeout=TIMEOUT_MS
    )
    expect(page.locator(FEATURE_MAP)).to_have_count(0)
    expect(page.locator("#draw-canvas")).to_be_visible()
    assert not any("/api/v1/activations" in url for url in page_log.requests), (
        "the page requested activations with nothing drawn"
    )
    assert unexpected_console_errors(page_log) == [], "console errors"


def test_conv_layers_show_every_channel(page: Page, page_log: PageLog) -> None:
    open_app(page)
    draw(page, DIGIT_STROKES["7"])
    open_maps(page, "cnn", "conv1")

    expect(page.locator(FEATURE_MAP), "conv1 has 32 filters").to_have_count(
        32, timeout=TIMEOUT_MS
    )
    assert page.url.endswith("#view=maps&model=cnn&layer=conv1"), (
        f"the hash does not hold the view: {page.url}"
    )
    expect(page.locator("#maps-color-bar canvas")).to_have_count(1)
    expect(page.locator("#maps-stage")).to_be_visible()
    expect(page.locator("#maps-layer-header")).to_contain_text("pre-activation z")
    page.locator('#maps-stage [data-value="a"]').click()
    expect(page.locator("#maps-layer-header")).to_contain_text(
        "post-activation a = ReLU(z)"
    )

    layer_button(page, "conv2").click()
    expect(page.locator(FEATURE_MAP), "conv2 has 128 filters").to_have_count(
        128, timeout=TIMEOUT_MS
    )
    # The drawing stays on screen next to the maps, with its predictions.
    expect(page.locator("#draw-canvas")).to_be_in_viewport()
    expect(page.locator("#clear")).to_be_visible()
    expect(page.locator('[data-testid="prediction-cnn"]')).to_have_text("7")
    assert unexpected_console_errors(page_log) == [], "console errors"
    assert page_log.page_errors == [], "uncaught exceptions"


def test_maps_follow_a_new_drawing(page: Page, page_log: PageLog) -> None:
    page.goto("/#view=maps&model=cnn&layer=conv2")
    expect(page.locator("#maps-message")).to_contain_text("Draw a digit")
    draw(page, DIGIT_STROKES["7"])
    expect(page.locator(FEATURE_MAP)).to_have_count(128, timeout=TIMEOUT_MS)
    before = maps_signature(page)
    requests_before = sum("/api/v1/activations" in url for url in page_log.requests)

    page.click("#clear")
    expect(page.locator(FEATURE_MAP), "Clear left maps behind").to_have_count(0)
    draw(page, DIGIT_STROKES["0"])
    expect(page.locator(FEATURE_MAP)).to_have_count(128, timeout=TIMEOUT_MS)
    page.wait_for_function(
        """([selector, before]) => {
          const tiles = [...document.querySelectorAll(selector)];
          const now = tiles
            .map((tile) => tile.querySelector("canvas").toDataURL())
            .join("|");
          return tiles.length === 128 && now !== before;
        }""",
        arg=[FEATURE_MAP, before],
        timeout=TIMEOUT_MS,
    )
    requests_after = sum("/api/v1/activations" in url for url in page_log.requests)
    assert requests_after > requests_before, "redrawing sent no activations request"
    assert unexpected_console_errors(page_log) == [], "console errors"


def test_enlarged_map_has_row_zero_on_top(page: Page, page_log: PageLog) -> None:
    open_app(page)
    draw(page, DIGIT_STROKES["7"])
    open_maps(page, "cnn", "conv1")
    expect(page.locator(FEATURE_MAP)).to_have_count(32, timeout=TIMEOUT_MS)

    page.locator(f'{FEATURE_MAP}[data-channel="3"]').click()
    expect(page.locator("#map-detail")).to_be_visible()
    assert "channel=3" in page.url, f"the hash misses the channel: {page.url}"
    expect(page.locator("#map-detail-filter-caption")).to_contain_text(
        "Filter 3 of conv1", timeout=TIMEOUT_MS
    )
    detail = page.evaluate(
        """() => {
          const map = document.querySelector("#map-detail-map");
          const filter = document.querySelector("#map-detail-filter");
          return {
            rows: map.data[0].z.length,
            columns: map.data[0].z[0].length,
            yRange: map.layout.yaxis.range,
            scaleanchor: map.layout.yaxis.scaleanchor,
            hover: map.data[0].hovertemplate,
            filterMin: filter.data[0].zmin,
            filterMax: filter.data[0].zmax,
            kernelRows: filter.data[0].z.length,
          };
        }"""
    )
    assert (detail["rows"], detail["columns"]) == (24, 24), detail
    # plotly.js turns autorange "reversed" into a descending range.
    assert detail["yRange"][0] > detail["yRange"][1], f"row 0 not on top: {detail}"
    assert detail["scaleanchor"] == "x", "map cells are not square"
    assert "row %{y}" in detail["hover"], detail["hover"]
    assert detail["filterMin"] == -detail["filterMax"], "filter scale not centred"
    assert detail["kernelRows"] == 5, "conv1's filter is one 5×5 kernel"

    # Same channel, another shape: Plotly.react must redraw without errors.
    layer_button(page, "pool2").click()
    expect(page.locator(FEATURE_MAP)).to_have_count(128, timeout=TIMEOUT_MS)
    page.locator(f'{FEATURE_MAP}[data-channel="3"]').click()
    expect(page.locator("#map-detail-filter-caption")).to_contain_text(
        "Filter 3 of conv2", timeout=TIMEOUT_MS
    )
    rows = page.evaluate("document.querySelector('#map-detail-map').data[0].z.length")
    assert rows == 4, f"pool2 maps are 4×4, the enlarged map has {rows} rows"
    assert unexpected_console_errors(page_log) == [], "console errors"
    assert page_log.page_errors == [], "uncaught exceptions"


def test_block_shows_branch_skip_and_sum(page: Page, page_log: PageLog) -> None:
    open_app(page)
    draw(page, DIGIT_STROKES["7"])
    open_maps(page, "resnet", "layer2.0")

    for part in ("branch", "skip", "sum"):
        column = page.locator(f'[data-testid="block-{part}"]')
        expect(column, f"the block's {part} is missing").to_be_visible(
            timeout=TIMEOUT_MS
        )
        expect(column.locator('[data-testid="block-map"]')).to_have_count(32)
    expect(page.locator(".block-parts__operator")).to_have_text(["+", "="])
    expect(page.locator(FEATURE_MAP)).to_have_count(32)

    page.locator('#block-parts [data-testid="block-map"]').nth(5).click()
    expect(page.locator("#map-detail-title")).to_contain_text("Channel 5")
    titles = page.evaluate(
        """() => document.querySelector("#map-detail-block").layout.annotations
          .map((annotation) => annotation.text)"""
    )
    assert titles[:3] == ["branch", "skip", "sum"], titles

    page.click('[data-testid="model-plain"]')
    expect(page.locator('[data-testid="block-no-skip"]')).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.locator('[data-testid="block-branch"]')).to_be_visible()
    expect(page.locator('[data-testid="block-skip"]')).to_have_count(0)
    assert "model=plain&layer=layer2.0" in page.url, page.url
    assert unexpected_console_errors(page_log) == [], "console errors"


def test_flatten_shows_2048_values_by_channel(page: Page, page_log: PageLog) -> None:
    open_app(page)
    draw(page, DIGIT_STROKES["7"])
    open_maps(page, "cnn", "flatten")

    vector = page.locator('[data-testid="vector-values"]')
    expect(vector).to_have_attribute("data-count", "2048", timeout=TIMEOUT_MS)
    strip = page.evaluate(
        """() => {
          const trace = document.querySelector("#maps-vector").data[0];
          return {
            rows: trace.z.length,
            columns: trace.z[0].length,
            values: trace.z.flat().length,
            xgap: trace.xgap,
          };
        }"""
    )
    assert strip["values"] == 2048, strip
    assert (strip["rows"], strip["columns"]) == (16, 128), (
        f"not grouped as 128 channels of 4×4: {strip}"
    )
    assert strip["xgap"] > 0, "channel boundaries are not marked"
    expect(page.locator(FEATURE_MAP)).to_have_count(0)

    layer_button(page, "softmax").click()
    expect(vector).to_have_attribute("data-count", "10", timeout=TIMEOUT_MS)
    labels = page.evaluate("document.querySelector('#maps-vector').data[0].x")
    assert labels == [f"p({digit})" for digit in range(10)], labels
    assert unexpected_console_errors(page_log) == [], "console errors"


def test_filters_view_shows_conv1_kernels(page: Page, page_log: PageLog) -> None:
    open_app(page)
    page.click("#tab-filters")
    page.click('[data-testid="model-cnn"]')
    page.click('[data-testid="filter-layer-conv1"]')

    filters = page.locator('[data-testid="filter"]')
    expect(filters, "conv1 has 32 filters of one kernel").to_have_count(
        32, timeout=TIMEOUT_MS
    )
    kernels = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="filter"]')]
          .map((tile) => Number(tile.dataset.kernels))
          .reduce((a, b) => a + b, 0)"""
    )
    assert kernels == 32, f"{kernels} kernels shown for conv1"
    norms = page.evaluate("document.querySelector('#filters-norms').data[0].y.length")
    assert norms == 32, f"{norms} norms shown for conv1"

    page.click('[data-testid="filter-layer-fc1"]')
    expect(filters).to_have_count(0, timeout=TIMEOUT_MS)
    page.wait_for_function(
        "document.querySelector('#filters-norms').data[0].y.length === 1024",
        timeout=TIMEOUT_MS,
    )
    assert unexpected_console_errors(page_log) == [], "console errors"


def test_parameters_chart_is_log_scale(page: Page, page_log: PageLog) -> None:
    page.goto("/#view=parameters&model=cnn")

    chart = page.locator("#parameters-chart")
    expect(chart.locator(".main-svg").first).to_be_visible(timeout=TIMEOUT_MS)
    figure = page.evaluate(
        """() => {
          const chart = document.querySelector("#parameters-chart");
          return {
            yType: chart.layout.yaxis.type,
            x: chart.data[0].x,
            convCounts: chart.data[0].customdata,
            names: chart.data.map((trace) => trace.name),
          };
        }"""
    )
    assert figure["yType"] == "log", figure
    assert figure["x"] == ["conv1", "conv2", "textbook example"], figure["x"]
    assert figure["convCounts"] == [832, 102528, 456], figure["convCounts"]
    assert len(figure["names"]) == 3, figure["names"]
    reference = page.locator('[data-testid="parameters-reference"]')
    expect(reference).to_contain_text("456")
    expect(reference).to_contain_text("14,450,688")
    expect(page.locator(".explainer")).to_contain_text("k·k·C")
    assert unexpected_console_errors(page_log) == [], "console errors"


def test_screenshot_of_feature_maps(page: Page) -> None:
    open_app(page)
    draw(page, DIGIT_STROKES["7"])
    open_maps(page, "cnn", "conv1")
    expect(page.locator(FEATURE_MAP)).to_have_count(32, timeout=TIMEOUT_MS)
    page.locator(f'{FEATURE_MAP}[data-channel="13"]').click()
    expect(page.locator("#map-detail-filter-caption")).to_contain_text(
        "Filter 13", timeout=TIMEOUT_MS
    )

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000, "the screenshot looks empty"
