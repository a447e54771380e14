"""The QR module: error correction chosen for size, the quiet zone, half blocks, zoom, ANSI, SVG and PNG."""

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from convos_tui.qr import (
    ANSI_BLACK_ON_WHITE,
    ANSI_RESET,
    MAX_PREFERRED_VERSION,
    QUIET_ZONE,
    choose_level,
    invite_file_stem,
    make_qr,
)
from tests.invite_samples import LONG, SHORT


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)]


def image_of_modules(modules, scale=6) -> Image.Image:
    image = Image.new("L", (len(modules[0]), len(modules)), 255)
    for y, row in enumerate(modules):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x, y), 0)
    return image.resize((image.width * scale, image.height * scale), Image.NEAREST)


def test_error_correction_is_the_highest_level_that_keeps_the_code_small():
    assert choose_level("https://dev.convos.org/v2?i=abc") == "H"  # tiny: the most redundancy, still small
    short, long = make_qr(SHORT), make_qr(LONG)
    # Real invites need version 10 or more even at L: L it is, the smallest code.
    assert (short.level, short.version) == ("L", 10)
    assert long.level == "L" and long.version > MAX_PREFERRED_VERSION
    for text in ("x" * 60, "x" * 120, "x" * 200):
        code = make_qr(text)
        assert code.version <= MAX_PREFERRED_VERSION
        stronger = {"L": "M", "M": "Q", "Q": "H"}.get(code.level)
        if stronger:  # the next level up would have made it bigger than the limit
            assert make_qr(text, stronger).version > MAX_PREFERRED_VERSION


def test_the_matrix_carries_a_four_module_quiet_zone():
    code = make_qr(SHORT)
    assert code.size == 17 + 4 * code.version + 2 * QUIET_ZONE
    light_rows = code.modules[:QUIET_ZONE] + code.modules[-QUIET_ZONE:]
    assert not any(any(row) for row in light_rows)
    assert not any(any(row[:QUIET_ZONE]) or any(row[-QUIET_ZONE:]) for row in code.modules)
    assert all(code.modules[QUIET_ZONE][QUIET_ZONE : QUIET_ZONE + 7])  # the finder's top edge comes right after


@pytest.mark.parametrize("zoom", [1, 2, 3])
def test_half_block_rows_stack_two_pixels_per_cell_and_zoom_scales_the_modules(zoom):
    code = make_qr(SHORT)
    rows = code.half_block_rows(zoom)
    columns, height = code.size_needed(zoom)
    assert (len(rows[0]), len(rows)) == (columns, height)
    assert columns == code.size * zoom and height == -(-code.size * zoom // 2)
    assert set("".join(rows)) <= set(" ▀▄█")
    # Turn the cells back into modules: every module is zoom columns by zoom half rows.
    pixels = []
    for row in rows:
        pixels.append([ch in "▀█" for ch in row])
        pixels.append([ch in "▄█" for ch in row])
    modules = [tuple(row[::zoom]) for row in pixels[: code.size * zoom : zoom]]
    assert tuple(modules) == code.modules


def test_zoom_2_is_two_columns_by_one_row_per_module():
    code = make_qr("hi")
    assert code.size_needed(2) == (2 * code.size, code.size)
    assert set("".join(code.half_block_rows(2))) <= {" ", "█"}


def test_ansi_is_black_on_white_and_reset_on_every_line():
    code = make_qr(SHORT)
    lines = code.ansi().splitlines()
    assert len(lines) == code.size_needed()[1]
    for line, row in zip(lines, code.half_block_rows(), strict=True):
        assert line == f"{ANSI_BLACK_ON_WHITE}{row}{ANSI_RESET}"
    assert ANSI_BLACK_ON_WHITE == "\x1b[38;5;16;48;5;231m"  # the colour cube's fixed black and white


def test_svg_is_well_formed_and_draws_exactly_the_dark_modules():
    code = make_qr(LONG)
    root = ET.fromstring(code.svg().split("\n", 1)[1])
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.get("viewBox") == f"0 0 {code.size} {code.size}"
    assert root.find("svg:title", ns).text == LONG
    assert root.find("svg:rect", ns).get("fill") == "#ffffff"
    path = root.find("svg:path", ns)
    assert path.get("fill") == "#000000"
    drawn = [[False] * code.size for _ in range(code.size)]
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path.get("d")):
        for dx in range(int(width)):
            drawn[int(y)][int(x) + dx] = True
    assert tuple(tuple(row) for row in drawn) == code.modules
    assert decode(image_of_modules(drawn)) == [LONG]


def test_svg_escapes_what_the_url_holds():
    ET.fromstring(make_qr("https://x.example/?a=1&b=<2>").svg().split("\n", 1)[1])


@pytest.mark.parametrize("url", [SHORT, LONG])
def test_png_decodes_to_the_invite(url):
    image = Image.open(io.BytesIO(make_qr(url).png()))
    assert image.size == (make_qr(url).size * 8,) * 2
    assert decode(image.convert("L")) == [url]


def test_file_stem_names_the_gateway_and_conversation_whatever_they_hold():
    assert invite_file_stem("eu-booth-1", "0123456789abcdef0123") == "convos-invite-eu-booth-1-0123456789ab"
    assert invite_file_stem("pool/a:b@c", None) == "convos-invite-pool-a-b-c"
    assert invite_file_stem("../..", "../x") == "convos-invite-x-x"
