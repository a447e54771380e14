"""`convos-tui demo --screenshots DIR`: the README's screenshots come from the seeded demo, on demand."""

from convos_tui.commands.demo_screenshots import SHOTS, take_screenshots
from convos_tui.sim.demo import Role, demo_plan


async def test_every_screenshot_is_taken_from_the_demo_and_shows_its_screen(tmp_path):
    saved = await take_screenshots(tmp_path, speed=10, settle_s=1.5)
    assert [p.name for p in saved] == [f"{name}.svg" for name in SHOTS]
    svg = {p.stem: p.read_text(encoding="utf-8").replace("&#160;", " ") for p in saved}
    assert all(text.lstrip().startswith("<svg") for text in svg.values())
    live = next(g.name for g in demo_plan() if g.role is Role.LIVE)
    assert "filter" in svg["filtered"] and "tag:eu" in svg["filtered"]
    assert live in svg["detail"] and "Gateway" in svg["detail"]
    assert "Create a conversation" in svg["action-panel"]
    assert "https://dev.convos.org/v2?i=" in svg["qr-panel"]
    assert "Scan to join" in svg["presentation"]
    assert "booth" in svg["pools"] and "3/3" in svg["pools"]
