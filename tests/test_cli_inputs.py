"""`lift-memory ingest` inputs: SimpleDirectoryReader over txt / md / pdf / html, folders, stdin,
and the one-line refusals for missing, empty, binary and undecodable input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lift_memory_cli.core.errors import InputError
from lift_memory_cli.core.inputs import STDIN_SOURCE, check_paths, decode_text, read_inputs


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_reads_txt_md_html_and_pdf_in_the_order_given(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Ilse Marrick keeps the lighthouse.\n")
    (tmp_path / "b.md").write_text("# Harbour\n\nThe ferry *Silver Heron* sails on Tuesdays.\n")
    (tmp_path / "c.html").write_text(
        "<html><head><style>p {color: red}</style><script>var x = 1;</script></head>"
        "<body><h1>Kelby</h1><p>The harbour master is Pell Androw.</p></body></html>"
    )
    (tmp_path / "d.pdf").write_bytes(minimal_pdf("The lens came from Glasgow in 1889."))
    paths = [str(tmp_path / n) for n in ("c.html", "a.txt", "d.pdf", "b.md")]
    documents = read_inputs(paths)
    assert [d.source for d in documents] == paths
    html, txt, pdf, md = (d.text for d in documents)
    assert "Pell Androw" in html and "Kelby" in html
    assert "var x" not in html and "color" not in html and "<p>" not in html
    assert txt.strip() == "Ilse Marrick keeps the lighthouse."
    assert "Glasgow in 1889" in pdf
    assert "*Silver Heron*" in md  # Markdown stays as written: it is text to learn


def test_folders_are_read_recursively_with_supported_extensions(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    (root / "sub").mkdir(parents=True)
    (root / "one.txt").write_text("First note about the reef.")
    (root / "sub" / "two.md").write_text("Second note about the lens.")
    (root / "sub" / "empty.txt").write_text("   \n")  # skipped inside a folder
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # not a supported extension
    (root / ".hidden.txt").write_text("hidden")
    documents = read_inputs([str(root)])
    assert sorted(d.source for d in documents) == [
        str(Path(str(root)) / "one.txt"),
        str(Path(str(root)) / "sub" / "two.md"),
    ]
    assert {d.text for d in documents} == {
        "First note about the reef.",
        "Second note about the lens.",
    }


def test_stdin_is_read_with_a_dash() -> None:
    documents = read_inputs(["-"], stdin=io.BytesIO(b"Tomas mends the nets.\n"))
    assert documents[0].source == STDIN_SOURCE
    assert documents[0].text.strip() == "Tomas mends the nets."


def test_an_explicit_file_without_extension_is_text(tmp_path: Path) -> None:
    (tmp_path / "NOTES").write_text("Plain text without an extension.")
    assert read_inputs([str(tmp_path / "NOTES")])[0].text == "Plain text without an extension."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.md", b" \n\t\n", "is empty"),
        ("data.txt", b"abc\x00\x01\x02\x03", "is a binary file"),
        ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
        ("latin1.txt", "caf\xe9 ol\xe9".encode("latin-1"), "is not valid UTF-8"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "not a readable PDF"),
    ],
)
def test_bad_files_are_refused_with_one_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_inputs([str(path)])
    text = str(caught.value)
    assert message in text and name in text and "\n" not in text


def test_missing_paths_fail_before_reading(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder: .*absent.txt"):
        check_paths([str(tmp_path / "absent.txt")])
    with pytest.raises(InputError, match="only once"):
        check_paths(["-", "-"])
    with pytest.raises(InputError, match="nothing to ingest"):
        check_paths([])


def test_folders_without_usable_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "x.bin").write_bytes(b"\x00")
    with pytest.raises(InputError, match="has no .txt"):
        read_inputs([str(tmp_path / "none")])
    (tmp_path / "blank").mkdir()
    (tmp_path / "blank" / "a.txt").write_text("")
    with pytest.raises(InputError, match="every file .* is empty"):
        read_inputs([str(tmp_path / "blank")])


def test_stdin_errors() -> None:
    with pytest.raises(InputError, match="stdin is empty"):
        read_inputs(["-"], stdin=io.BytesIO(b""))
    with pytest.raises(InputError, match="stdin is a binary file"):
        read_inputs(["-"], stdin=io.BytesIO(b"\x00\x01"))


def test_utf8_bom_is_dropped() -> None:
    assert decode_text("\ufeffhello".encode(), "x") == "hello"
