"""Decoding: Chinese pages decode right with or without a charset header, and when it lies."""

import pytest

from crawlers.encoding import decode_html
from tests.conftest import real_fixture

CHINESE = "新疆维吾尔自治区人民政府新闻办公室举行新闻发布会，介绍职业技能教育培训中心学员的幸福生活。"


def page(charset_meta: str | None, text: str = CHINESE) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    english_head = "<script>var analytics = 'tracking code for the English-language header';</script>" * 200
    return f"<html><head>{meta}{english_head}<title>{text[:4]}</title></head><body><p>{text * 20}</p></body></html>"


@pytest.mark.parametrize("encoding", ["gbk", "gb2312", "gb18030", "big5", "utf-8"])
@pytest.mark.parametrize("header", [True, False])
def test_declared_cjk_encodings_decode(encoding, header):
    text = CHINESE if encoding != "big5" else "臺灣新聞報導今天天氣很好，我們一起去看電影吧。"
    body = page(encoding, text).encode(encoding)
    decoded = decode_html(body, f"text/html; charset={encoding}" if header else "text/html")
    assert text in decoded.text
    assert not decoded.mismatch


@pytest.mark.parametrize("encoding", ["gbk", "big5"])
def test_undeclared_cjk_bytes_are_detected(encoding):
    text = CHINESE if encoding == "gbk" else "臺灣新聞報導今天天氣很好，我們一起去看電影吧。"
    decoded = decode_html(page(None, text).encode(encoding), "text/html")
    assert text in decoded.text


def test_gbk_labelled_utf8_and_the_reverse_decode_by_the_bytes():
    gbk_bytes = page(None).encode("gbk")
    decoded = decode_html(gbk_bytes, "text/html; charset=utf-8")
    assert CHINESE in decoded.text and decoded.mismatch
    utf8_bytes = page("gbk").encode("utf-8")
    decoded = decode_html(utf8_bytes, "text/html")
    assert CHINESE in decoded.text and decoded.mismatch


@pytest.mark.parametrize(
    "relative,title_fragment",
    [
        ("encoding_gbk/money_163_com_gbk_article.html", "埃洛普离职"),
        ("encoding_gbk/money_163_com_gb2312_article.html", "八部委如何玩转互联网"),
        ("xinhua/he_xinhuanet_content_25340717_wayback.html", "话剧《约定无期限》"),
        ("people/politics_people_com_cn_40223222.html", "促进航天技术更好惠及人民"),
    ],
)
def test_real_pages_decode_without_a_charset_header(relative, title_fragment):
    body = real_fixture(relative).read_bytes()
    assert title_fragment in decode_html(body, "text/html").text
    assert title_fragment in decode_html(body, None).text


def test_windows_1251_page_decodes():
    body = real_fixture("gov_other/mfa_gov_by_statement_b7b71aff55bfca76.html").read_bytes()
    decoded = decode_html(body, "text/html")
    assert decoded.encoding == "cp1251" and "\ufffd" not in decoded.text


def test_a_declared_page_with_one_stray_byte_keeps_its_declared_charset():
    """A UTF-8 page with one pasted cp1252 byte stays UTF-8 (one replacement), not a detector's cp1251 guess."""
    text = (
        "<html><head><meta charset='utf-8'><title>Leber</title></head><body><p>"
        + "So schön winterlich, Olivenöl und Zwiebeln. " * 40
    )
    body = text.encode("utf-8") + b"caf\xe9 </p></body></html>"
    decoded = decode_html(body, "text/html")
    assert decoded.encoding == "utf-8" and "So schön winterlich" in decoded.text and decoded.text.count("\ufffd") == 1
    assert decoded.mismatch and decoded.replaced == 1
