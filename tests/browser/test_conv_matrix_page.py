"""The conv-matrix page (/conv.html) in a real browser.

Each test opens the page served by a real uvicorn process (see conftest.py)
and reads the Plotly figures' data and layout from the DOM. The served
plotly.js rewrites `yaxis.autorange: "reversed"` into a descending range
after drawing, so row 0 on top shows as range[0] > range[1].
"""

import math
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import PageLog
from tests.servers import screenshot_path

pytestmark = pytest.mark.browser

SCREENSHOT = screenshot_path("conv-matrix.png")
CHANNEL_SCREENSHOT = screenshot_path("conv-channel-limit.png")
MATRIX = '[data-testid="conv-matrix"]'
TRANSPOSE = '[data-testid="conv-transpose"]'
# Long enough for a request and a 576 × 784 render on a loaded CI machine.
RENDER_TIMEOUT_MS = 30_000
# Generous for CI. Headless chromium on a 2-core machine, loaded by other test
# runs (load average 8–12), drew 676 × 784 (W and Wᵀ) in 0.38–1.6 s.
MAX_LARGE_RENDER_MS = 5_000
# How long a test waits to see that the page sends no further request.
NO_REQUEST_WAIT_MS = 1_000


def open_page(page: Page, hash_: str = "") -> None:
    """Open /conv.html and wait until W is drawn."""
    page.goto(f"/conv.html{hash_}")
    page.wait_for_function(
        f"document.querySelector('{MATRIX}').dataset.renderMs !== undefined",
        timeout=RENDER_TIMEOUT_MS,
    )


def wait_for_shape(page: Page, selector: str, rows: int, columns: int) -> None:
    page.wait_for_function(
        """([selector, rows, columns]) => {
          const z = document.querySelector(selector).data?.[0]?.z;
          return z && z.length === rows && z[0].length === columns;
        }""",
        arg=[selector, rows, columns],
        timeout=RENDER_TIMEOUT_MS,
    )


def heatmap_z(page: Page, selector: str, trace: int = 0) -> list[list[float]]:
    """Return a heatmap's z as nested lists (NaN stays NaN)."""
    z: list[list[float]] = page.evaluate(
        """([selector, trace]) => Array.from(
          document.querySelector(selector).data[trace].z,
          (row) => Array.from(row),
        )""",
        [selector, trace],
    )
    return z


def highlighted(page: Page, selector: str) -> list[tuple[int, int]]:
    """Return the (row, column) cells a tensor plot highlights, in order."""
    cells: list[list[int]] = page.evaluate(
        """(selector) => (document.querySelector(selector).layout.shapes ?? [])
          .map((shape) => [
            Math.round((shape.y0 + shape.y1) / 2),
            Math.round((shape.x0 + shape.x1) / 2),
          ])""",
        selector,
    )
    return sorted((row, column) for row, column in cells)


def axis_ranges(page: Page, selector: str) -> dict[str, Any]:
    ranges: dict[str, Any] = page.evaluate(
        """(selector) => {
          const layout = document.querySelector(selector)._fullLayout;
          return {
            x: layout.xaxis.range, y: layout.yaxis.range,
            xLength: layout.xaxis._length, yLength: layout.yaxis._length,
          };
        }""",
        selector,
    )
    return ranges


def hover_cell(page: Page, selector: str, row: int, column: int) -> None:
    """Move the mouse to the centre of a matrix cell."""
    x, y = page.evaluate(
        """([selector, row, column]) => {
          const div = document.querySelector(selector);
          const { xaxis, yaxis } = div._fullLayout;
          const box = div.getBoundingClientRect();
          return [
            box.left + xaxis._offset + xaxis.l2p(column),
            box.top + yaxis._offset + yaxis.l2p(row),
          ];
        }""",
        [selector, row, column],
    )
    page.mouse.move(x, y)


def is_conv_matrix_post(request: Request) -> bool:
    return request.method == "POST" and request.url.endswith("/api/v1/conv-matrix")


def request_layer(request: Request) -> tuple[str, int | None, int | None]:
    """Return the layer and channels that a POST /api/v1/conv-matrix requests."""
    body = request.post_data_json
    assert body is not None, "the request had no JSON body"
    layer = body["layer"]
    return layer["layer"], layer["out_channel"], layer["in_channel"]


def check_clean(page_log: PageLog) -> None:
    assert page_log.console_errors == [], "console errors"
    assert page_log.page_errors == [], "uncaught exceptions"
    assert page_log.external_requests == [], "requests to other hosts"


def test_page_opens_on_1d_example(page: Page, page_log: PageLog) -> None:
    open_page(page)
    z = heatmap_z(page, MATRIX)
    transpose = heatmap_z(page, TRANSPOSE)
    ranges = axis_ranges(page, MATRIX)
    errors = page.locator('[data-testid="max-error"]')

    assert len(z) == 4
    assert all(len(row) == 6 for row in z)
    # Cells hold the index of the weight they copy: w1, w2, w3 = 0, 1, 2.
    assert z[0][:3] == [0, 1, 2]
    assert all(math.isnan(value) for value in z[0][3:])
    assert z[3][3:] == [0, 1, 2]
    assert len(transpose) == 6
    assert transpose[2] == [2, 1, 0] + transpose[2][3:]
    assert math.isnan(transpose[2][3])
    assert ranges["y"][0] > ranges["y"][1], "row 0 is not at the top"
    expect(errors).to_have_count(5)
    expect(errors).to_have_text(["0", "0", "0", "0", "0"])
    expect(page.locator('[data-testid="weight-legend-item"]')).to_have_text(
        [
            "w[0, 0, 0] = 1, 4 copies",
            "w[0, 0, 1] = 2, 4 copies",
            "w[0, 0, 2] = 3, 4 copies",
        ]
    )
    expect(page.locator('[data-testid="flipped-kernel"] td')).to_have_text(
        ["3", "2", "1"]
    )
    expect(page.locator("#y-plot")).to_be_visible()
    check_clean(page_log)


def test_cells_are_square(page: Page) -> None:
    open_page(page, "#dims=2&n=5&k=3&p=1&x=delta")
    ranges = axis_ranges(page, MATRIX)
    x_span = abs(ranges["x"][1] - ranges["x"][0])
    y_span = abs(ranges["y"][1] - ranges["y"][0])

    assert ranges["xLength"] / x_span == pytest.approx(
        ranges["yLength"] / y_span, rel=0.02
    )


def test_stride_change_updates_matrix(page: Page, page_log: PageLog) -> None:
    open_page(page)

    page.locator("#stride-w").fill("2")
    wait_for_shape(page, MATRIX, 2, 6)
    z = heatmap_z(page, MATRIX)

    assert z[1][2:5] == [0, 1, 2], "the second row should start 2 columns later"
    expect(page.locator("#conv-status")).to_contain_text("W is 2 × 6")
    assert "s=2" in page.evaluate("location.hash")
    check_clean(page_log)


def test_switch_to_2d(page: Page, page_log: PageLog) -> None:
    open_page(page)

    page.locator('#dims [data-value="2"]').click()
    # 1-D length 6, kernel 3 becomes 6×6 with a 3×3 kernel: 16 outputs.
    wait_for_shape(page, MATRIX, 16, 36)
    ranges = axis_ranges(page, MATRIX)

    assert ranges["y"][0] > ranges["y"][1], "row 0 is not at the top"
    expect(page.locator('[data-testid="weight-legend-item"]')).to_have_count(9)
    expect(page.locator('[data-testid="kernel"] input')).to_have_count(9)
    expect(page.locator('[data-testid="max-error"]')).to_have_text(["0"] * 5)
    assert "dims=2" in page.evaluate("location.hash")
    check_clean(page_log)


def test_trained_layer_matrix_renders(page: Page, page_log: PageLog) -> None:
    open_page(page)

    page.locator('#source [data-value="layer"]').click()
    wait_for_shape(page, MATRIX, 576, 784)
    compact = page.evaluate(
        f"document.querySelector('{MATRIX}').data[0].z[0] instanceof Float32Array"
    )
    errors = page.locator('[data-testid="max-error"]')

    assert compact, "z rows should be Float32Array views, not JS arrays"
    expect(page.locator("#conv-status")).to_contain_text("W is 576 × 784")
    expect(errors).to_have_count(5)
    for text in errors.all_inner_texts():
        assert text == "0" or float(text) < 1e-9, text
    expect(page.locator("#source-note")).to_contain_text("cnn layer conv1")
    check_clean(page_log)


def test_trained_layer_sample_digit(page: Page, page_log: PageLog) -> None:
    open_page(page, "#src=layer&model=cnn&layer=conv1&oc=0&ic=0")

    with page.expect_response("**/api/v1/conv-matrix") as answer:
        page.locator("#sample-digit").click()
    body = answer.value.request.post_data_json

    assert body is not None, "the request had no JSON body"
    assert len(body["layer"]["image"]) == 28
    expect(page.locator("#source-note")).to_contain_text("the request's digit")
    assert "digit=" in page.evaluate("location.hash")
    check_clean(page_log)


def test_large_matrix_draws_in_time(page: Page, page_log: PageLog) -> None:
    open_page(page, "#dims=2&n=28&k=3&p=0&ws=1&x=2")
    wait_for_shape(page, MATRIX, 676, 784)
    render_ms = float(
        page.evaluate(f"document.querySelector('{MATRIX}').dataset.renderMs")
    )

    assert render_ms < MAX_LARGE_RENDER_MS, f"drew 676 × 784 in {render_ms} ms"
    assert (
        page.evaluate(f"document.querySelector('{MATRIX}').dataset.poolFactor") == "1"
    )
    check_clean(page_log)


def test_wide_matrix_downsampled_with_note(page: Page) -> None:
    open_page(page, "#src=layer&model=resnet&layer=layer1.0.conv1&oc=0&ic=all")
    # 784 × 12,544 pooled by 16 into 49 × 784 blocks.
    wait_for_shape(page, MATRIX, 49, 784)

    expect(page.locator("#matrix-note")).to_contain_text("Downsampled view")
    expect(page.locator("#matrix-note")).to_contain_text("16 × 16 cells")


def test_hover_row_highlights_receptive_field(page: Page) -> None:
    open_page(page)

    hover_cell(page, MATRIX, row=1, column=2)
    page.wait_for_function(
        f"document.querySelector('{MATRIX}').dataset.hoverRow === '1'"
    )
    page.wait_for_function(
        "document.querySelector('#x-plot').layout.shapes?.length === 3"
    )

    assert highlighted(page, "#x-plot") == [(0, 1), (0, 2), (0, 3)]
    assert highlighted(page, "#y-plot") == [(0, 1)]
    expect(page.locator("#hover-readout")).to_contain_text(
        "Row 1 of W computes y[0, 1] from 3 of 6 inputs"
    )


def test_hover_2d_row_highlights_3x3_window(page: Page) -> None:
    open_page(page, "#dims=2&n=5&k=3&p=1&x=delta")

    # Row 12 is output (0, 2, 2), the centre. Its window is rows and
    # columns 1..3 of x.
    hover_cell(page, MATRIX, row=12, column=12)
    page.wait_for_function(
        f"document.querySelector('{MATRIX}').dataset.hoverRow === '12'"
    )
    page.wait_for_function(
        "document.querySelector('#x-plot').layout.shapes?.length === 9"
    )

    cells = highlighted(page, "#x-plot")
    assert cells == [(r, c) for r in (1, 2, 3) for c in (1, 2, 3)]
    assert highlighted(page, "#y-plot") == [(2, 2)]


def test_kernel_edit_changes_every_copy(page: Page) -> None:
    open_page(page)

    page.locator('[data-testid="kernel"] input').nth(1).fill("5")
    page.locator('[data-testid="kernel"] input').nth(1).press("Enter")
    expect(page.locator('[data-testid="weight-legend-item"]').nth(1)).to_have_text(
        "w[0, 0, 1] = 5, 4 copies", timeout=RENDER_TIMEOUT_MS
    )

    # Every output of ones is now 1 + 5 + 3.
    assert heatmap_z(page, "#y-plot") == [[9, 9, 9, 9]]
    assert "w=1%2C5%2C3" in page.evaluate("location.hash")


def test_bad_configuration_shows_server_message(page: Page) -> None:
    open_page(page)

    page.locator("#kernel-w").fill("9")
    status = page.locator("#conv-status")

    expect(status).to_contain_text("larger than the padded input")
    expect(status).to_have_attribute("data-kind", "error")


def test_failed_request_marks_results_stale(page: Page) -> None:
    open_page(page)
    results = page.locator(".conv-content")
    note = page.locator("#stale-note")

    page.locator("#kernel-w").fill("9")

    expect(note).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(note).to_contain_text("larger than the padded input")
    expect(results).to_have_attribute("data-stale", "true")
    expect(page.locator("#conv-status")).to_have_attribute("data-kind", "error")

    page.locator("#kernel-w").fill("2")
    wait_for_shape(page, MATRIX, 5, 6)

    expect(note).to_be_hidden()
    expect(results).not_to_have_attribute("data-stale", "true")


def test_out_of_range_value_explained(page: Page) -> None:
    open_page(page)
    size = page.locator("#size-w")
    message = page.locator("#size-w-error")
    note = page.locator("#stale-note")

    size.fill("99")

    expect(message).to_be_visible()
    expect(message).to_contain_text("99 is out of range")
    expect(message).to_contain_text("from 1 to 64")
    expect(size).to_have_attribute("aria-invalid", "true")
    expect(note).to_be_visible()
    expect(note).to_contain_text("invalid value")
    field_box = size.bounding_box()
    message_box = message.bounding_box()
    assert field_box is not None, "#size-w is not visible"
    assert message_box is not None, "the message is not visible"
    gap = message_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= gap < 20, f"the message is {gap} px below the field"

    size.fill("8")
    wait_for_shape(page, MATRIX, 6, 8)

    expect(message).to_be_hidden()
    expect(size).not_to_have_attribute("aria-invalid", "true")
    expect(note).to_be_hidden()


def test_oversized_channel_choice_disabled(page: Page, page_log: PageLog) -> None:
    # cnn conv2 maps 32 channels of 12×12 to 128 of 8×8 with 5×5 kernels, so
    # one channel pair has 8·8·25 = 1,600 non-zeros and all pairs together
    # 1,600 · 32 · 128 = 6,553,600, more than the server's 4,000,000.
    open_page(page, "#src=layer&model=cnn&layer=conv2&oc=all&ic=0")
    all_inputs = page.locator('#in-channel option[value="all"]')
    note = page.locator("#channel-note")

    # The choices are limited once the layer's shapes and the limits arrive.
    expect(all_inputs).to_be_disabled(timeout=RENDER_TIMEOUT_MS)
    expect(note).to_be_visible()
    expect(note).to_contain_text(
        "All 32 input channels cannot be combined with all 128 output channels"
    )
    expect(note).to_contain_text("6,553,600 non-zeros")
    expect(note).to_contain_text("the server's limit is 4,000,000")
    expect(all_inputs).to_have_attribute(
        "title", re.compile("6,553,600 non-zeros.*4,000,000")
    )
    # All outputs with one input (204,800 non-zeros) and one input channel
    # with all outputs stay available.
    expect(page.locator('#out-channel option[value="all"]')).to_be_enabled()
    expect(page.locator('#in-channel option[value="1"]')).to_be_enabled()
    page.locator("#layer-controls").screenshot(path=str(CHANNEL_SCREENSHOT))

    page.locator("#out-channel").select_option("0")

    expect(all_inputs).to_be_enabled()
    expect(note).to_be_hidden()
    check_clean(page_log)


def test_layer_choice_sends_one_request(page: Page, page_log: PageLog) -> None:
    posts: list[Request] = []
    page.on(
        "request",
        lambda request: posts.append(request) if is_conv_matrix_post(request) else None,
    )
    open_page(page, "#src=layer&model=cnn&layer=conv1&oc=0&ic=0")
    expect(page.locator("#in-channel option")).to_have_count(2)
    # A request that is never sent cannot be awaited, so wait for a stray one.
    page.wait_for_timeout(NO_REQUEST_WAIT_MS)

    assert [request_layer(request) for request in posts] == [("conv1", 0, 0)]

    page.locator("#layer-name").select_option("conv2")
    # conv2 maps 12×12 to 8×8, so one channel pair's W is 64 × 144.
    wait_for_shape(page, MATRIX, 64, 144)
    expect(page.locator("#in-channel option")).to_have_count(33)
    page.wait_for_timeout(NO_REQUEST_WAIT_MS)

    assert [request_layer(request) for request in posts] == [
        ("conv1", 0, 0),
        ("conv2", 0, 0),
    ]
    limits = [url for url in page_log.requests if url.endswith("/api/v1/limits")]
    assert len(limits) == 1, "GET /api/v1/limits should be sent once"
    check_clean(page_log)


def test_channel_choices_enabled_without_limits(page: Page) -> None:
    page.route(
        "**/api/v1/limits",
        lambda route: route.fulfill(status=503, json={"detail": "Unavailable."}),
    )
    all_inputs = page.locator('#in-channel option[value="all"]')
    status = page.locator("#conv-status")

    # The page warns once it has given up on the limits.
    with page.expect_console_message(
        lambda message: "/api/v1/limits failed" in message.text
    ):
        open_page(page, "#src=layer&model=cnn&layer=conv2&oc=all&ic=0")
    expect(page.locator("#in-channel option")).to_have_count(33)

    expect(all_inputs).to_be_enabled()
    expect(page.locator("#channel-note")).to_be_hidden()

    page.locator("#in-channel").select_option("all")

    expect(status).to_contain_text("6,553,600 non-zeros", timeout=RENDER_TIMEOUT_MS)
    expect(status).to_contain_text("the limit is 4,000,000")
    expect(status).to_have_attribute("data-kind", "error")


@pytest.mark.parametrize(
    "hash_",
    [
        "",
        "#src=layer&model=cnn&layer=conv1&oc=0&ic=0",
        "#src=layer&model=resnet&layer=layer1.0.conv1&oc=0&ic=all",
    ],
    ids=["1d-example", "cnn-conv1", "resnet-all-inputs"],
)
def test_page_fits_narrow_screen(page: Page, hash_: str) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    open_page(page, hash_)
    # The checks table is filled after the kernels, the last to be drawn.
    expect(page.locator('[data-testid="max-error"]')).to_have_count(5)

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"the page is {scroll_width} px wide at 375 px"


def test_screenshot_of_page(page: Page) -> None:
    open_page(page, "#dims=2&n=5&k=3&p=1&x=delta")
    hover_cell(page, MATRIX, row=12, column=12)
    page.wait_for_function(
        f"document.querySelector('{MATRIX}').dataset.hoverRow === '12'"
    )
    page.wait_for_timeout(300)

    page.screenshot(path=str(SCREENSHOT), full_page=True)

    assert SCREENSHOT.stat().st_size > 10_000, "the screenshot looks empty"
