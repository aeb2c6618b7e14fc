from canary.display import LABEL_LIMIT, shown_label, shown_segment
from canary.masking import mask_row, mask_text, mask_value
from canary.results import CheckResult


def test_personal_data_is_masked_in_text() -> None:
    text = "admin7@customer-0007.example.com from 10.2.3.4 key LK-0A1B-2C3D-4E5F on fe80::1:2:3"
    masked = mask_text(text)
    assert "customer-0007" not in masked and "10.2.3.4" not in masked
    assert "LK-0A1B" not in masked and "fe80::1:2:3" not in masked
    assert masked.startswith("***@*** from ***.***.***.*** key LK-****-****-****")


def test_personal_columns_are_masked_whole_and_others_kept() -> None:
    row = {"site_id": "abc", "admin_email": "x@y.z", "instance_label": "Sourcegraph (S2)", "n": 3}
    assert mask_row(row, {"admin_email"}) == {
        "site_id": "abc",
        "admin_email": "***",
        "instance_label": "Sourcegraph (S2)",
        "n": 3,
    }
    assert mask_value(None, True) is None
    assert mask_value("5.3.1") == "5.3.1"  # versions are not IP addresses


def test_segment_labels_are_masked_like_values_and_keep_their_identity() -> None:
    assert shown_segment({"deploy_type": "ops@acme.example"}) == {"deploy_type": "***@***"}
    assert shown_segment({"version_minor": "5.28"}) == {"version_minor": "5.28"}
    assert shown_segment(None) is None
    a, b = ({"deploy_type": ip} for ip in ("10.0.0.1", "10.0.0.2"))
    checks = [CheckResult("m", "d", "level", "failed", "r", "c", s) for s in (a, b)]
    assert checks[0].segment == checks[1].segment == {"deploy_type": "***.***.***.***"}
    assert checks[0].id != checks[1].id  # two labels masked alike are still two checks
    assert checks[0].id == CheckResult("m", "d", "level", "failed", "r", "c", a).id
    assert "10.0.0.1" not in repr(checks[0])


def test_where_a_service_is_stays_readable_while_personal_data_around_it_is_masked() -> None:
    shown = mask_text("store postgresql://canary@10.0.0.5:5432/db: ops@acme.io from 10.1.2.3")
    assert shown == "store postgresql://canary@10.0.0.5:5432/db: ***@*** from ***.***.***.***"
    assert mask_text("https://h.example/q?ip=10.1.2.3") == "https://h.example/q?ip=***.***.***.***"


def test_compressed_ipv6_addresses_are_masked_and_namespaces_are_not() -> None:
    for address in ("2001:db8::1", "::1", "fe80::", "2001:db8:0:0:1::7"):
        assert mask_text(f"from {address} today") == "from ****:**** today"
    assert mask_text("std::string at 12:30") == "std::string at 12:30"


def _made_up(prefix: str, rest: str) -> str:
    """A token-shaped string built in parts, so no real-looking secret sits in the source."""
    return prefix + rest


FAKE_SLACK = _made_up("xoxb-", "1234567890-abcdefghijkl")


def test_tokens_and_long_hex_keys_are_masked_keeping_their_kind() -> None:
    shown = mask_text(
        FAKE_SLACK + " xoxp-99-88 " + _made_up("ghp_", "A1" * 18)
        + " " + _made_up("AKIA", "ABCDEFGHIJKLMNOP") + " key=" + "0123456789abcdef" * 2
    )  # fmt: skip
    assert shown == "xoxb-**** xoxp-99-88 ghp_**** AKIA**** key=****"
    assert mask_text("b" * 40) == "b" * 40  # a run of one letter is no key
    assert mask_text("build 3f78685") == "build 3f78685"  # a short commit is no key


def test_a_cut_label_never_shows_part_of_a_token() -> None:
    token = FAKE_SLACK
    for filler in range(0, 120, 7):
        label = shown_label("v" * filler + " " + token)
        assert "1234567890" not in label and "abcdefghijkl" not in label
        assert "oxb-1" not in label and len(label) <= LABEL_LIMIT
