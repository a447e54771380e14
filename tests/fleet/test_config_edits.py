"""Round trips over hand-written configs: an edit changes exactly what it should and nothing else."""

import difflib
import pathlib
import tomllib

import pytest

from convos_tui.fleet import config_file
from convos_tui.fleet.config_file import EditError, add_gateway, edit_gateway, remove_gateway
from convos_tui.fleet.inventory import parse_inventory

CORPUS = pathlib.Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.toml"))


def read(path: pathlib.Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:  # keep CRLF as written
        return handle.read()


def changes(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(tag, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def names(text: str) -> list[str]:
    return [g["name"] for g in tomllib.loads(text).get("gateways", [])]


@pytest.fixture(params=FILES, ids=[f.stem for f in FILES])
def corpus(request):
    return read(request.param)


def test_every_corpus_file_is_a_valid_config(corpus):
    parse_inventory(corpus, pathlib.Path("corpus.toml"))


def test_add_only_inserts_lines(corpus):
    result = add_gateway(corpus, {"name": "added", "url": "http://127.0.0.1:19999", "env": "dev", "tags": ["new"]})
    assert names(result) == names(corpus) + ["added"]
    assert {tag for tag, _, _ in changes(corpus, result)} == {"insert"}
    inserted = "".join(line for _, _, new in changes(corpus, result) for line in new)
    assert 'name = "added"' in inserted
    newline = "\r\n" if "\r\n" in corpus else "\n"
    assert all(line.endswith(newline) for _, _, new in changes(corpus, result) for line in new)
    parse_inventory(result, pathlib.Path("x.toml"))


def test_remove_deletes_only_that_gateway(corpus):
    for name in names(corpus):
        result = remove_gateway(corpus, name)
        assert names(result) == [n for n in names(corpus) if n != name]
        data_before, data_after = tomllib.loads(corpus), tomllib.loads(result)
        for key in set(data_before) - {"gateways", "profiles"}:
            assert data_after[key] == data_before[key]
        for tag, old, new in changes(corpus, result):
            if tag == "delete":
                removed = "".join(old)
                assert all(f'"{other}"' not in removed for other in names(corpus) if other != name)
            else:  # only a profile list loses the name
                assert tag == "replace" and len(old) == len(new) == 1 and f'"{name}"' in old[0]
        parse_inventory(result, pathlib.Path("x.toml"))


def test_changing_a_value_changes_one_line_and_keeps_its_comment(corpus):
    first = names(corpus)[0]
    result = edit_gateway(corpus, first, {"url": "http://127.0.0.1:1234"})
    [(tag, old, new)] = changes(corpus, result)
    assert tag == "replace" and len(old) == len(new) == 1
    assert "http://127.0.0.1:1234" in new[0]
    if "#" in old[0]:
        assert old[0][old[0].index("#") :] == new[0][new[0].index("#") :]


def test_adding_a_key_inserts_one_line_or_changes_one_inline_table(corpus):
    first = names(corpus)[0]
    result = edit_gateway(
        corpus,
        first,
        {"note": "added note"} if "note" not in tomllib.loads(corpus)["gateways"][0] else {"env": "production"},
    )
    assert len(changes(corpus, result)) == 1
    assert tomllib.loads(result)["gateways"][1:] == tomllib.loads(corpus)["gateways"][1:]


def test_rename_follows_into_profiles(corpus):
    data = tomllib.loads(corpus)
    first = names(corpus)[0]
    result = edit_gateway(corpus, first, {"name": "renamed"})
    after = tomllib.loads(result)
    assert names(result)[0] == "renamed"
    for profile_name, profile in data.get("profiles", {}).items():
        want = ["renamed" if member == first else member for member in profile.get("gateways", [])]
        assert after["profiles"][profile_name].get("gateways", []) == want
    assert all(tag == "replace" for tag, _, _ in changes(corpus, result))


def test_removing_booth_2_takes_its_own_comments_and_leaves_the_next_ones():
    text = read(CORPUS / "comments_everywhere.toml")
    result = remove_gateway(text, "booth-2")
    removed = [line.rstrip("\n") for tag, old, _ in changes(text, result) if tag == "delete" for line in old]
    assert removed == [
        "# The second booth box.",
        "[[gateways]]",
        'name = "booth-2"',
        'url = "http://127.0.0.1:18802"   # right screen',
        'env = "dev"',
        'tags = ["booth"]',
        '# token_env = "BOOTH_KEY"   (not yet)',
        "",
    ]
    assert "# Spare, in the bag.\n" in result
    assert 'gateways = ["booth-1"]  # both screens\n' in result


def test_removing_a_gateway_keeps_its_sub_table_with_it():
    text = read(CORPUS / "comments_everywhere.toml")
    result = remove_gateway(text, "booth-1")
    assert "[gateways.timeouts]" not in result and "per-gateway overrides" not in result
    assert "# The first booth box." not in result
    assert "# --- gateways ---" in result


def test_edits_refuse_clearly():
    text = read(CORPUS / "comments_everywhere.toml")
    with pytest.raises(EditError, match="no gateway named 'nope'.*booth-1, booth-2, spare"):
        remove_gateway(text, "nope")
    with pytest.raises(EditError, match="already in the config"):
        add_gateway(text, {"name": "spare", "url": "http://127.0.0.1:1"})
    with pytest.raises(EditError, match="already in the config"):
        edit_gateway(text, "booth-1", {"name": "spare"})


def test_a_broken_config_is_never_rewritten(tmp_path):
    path = tmp_path / "config.toml"
    broken = '[[gateways]]\nname = "a"\nurl = "htp://nope"\n'
    path.write_text(broken)
    with pytest.raises(EditError) as caught:
        config_file.check_editable(broken, path)
    assert f"{path}:3:" in str(caught.value)
    assert path.read_text() == broken


def test_atomic_write_keeps_one_backup_and_the_mode(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("refresh = '1s'\n")
    path.chmod(0o640)
    backup = config_file.atomic_write(path, "refresh = '2s'\n")
    assert backup == tmp_path / "config.toml.bak" and backup.read_text() == "refresh = '1s'\n"
    assert path.read_text() == "refresh = '2s'\n" and (path.stat().st_mode & 0o777) == 0o640
    config_file.atomic_write(path, "refresh = '3s'\n")
    assert backup.read_text() == "refresh = '2s'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "config.toml.bak"]


def test_a_new_config_is_private(tmp_path):
    path = tmp_path / "sub" / "config.toml"
    assert config_file.atomic_write(path, "") is None
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_litter(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text("refresh = '1s'\n")

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(config_file.os, "replace", crash)
    with pytest.raises(OSError):
        config_file.atomic_write(path, "refresh = '9s'\n")
    assert path.read_text() == "refresh = '1s'\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "config.toml.bak"]
