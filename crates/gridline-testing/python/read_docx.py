"""Reads a DOCX with python-docx (a reader written independently of gridline) and prints what the
tests check as JSON: the paragraphs' text, the tables' cells, the East-Asian fonts the runs name,
the fonts table's fallbacks (w:altName) and character sets, the pictures (their type and width in
millimetres), and the first section's page size and margins in millimetres. Exit 77 when
python-docx is absent."""
import json
import sys

try:
    import docx
    from docx.oxml.ns import qn
except ImportError:
    print("python-docx is not installed", file=sys.stderr)
    sys.exit(77)

document = docx.Document(sys.argv[1])
fonts = set()
for paragraph in document.paragraphs:
    for run in paragraph.runs:
        rpr = run._element.rPr
        if rpr is not None and rpr.rFonts is not None:
            east_asia = rpr.rFonts.get(qn("w:eastAsia"))
            if east_asia:
                fonts.add(east_asia)
font_table = {}
for part in document.part.package.iter_parts():
    if str(part.partname) == "/word/fontTable.xml":
        from lxml import etree
        for font in etree.fromstring(part.blob).iter(qn("w:font")):
            alt = font.find(qn("w:altName"))
            charset = font.find(qn("w:charset"))
            font_table[font.get(qn("w:name"))] = {
                "alt": None if alt is None else alt.get(qn("w:val")),
                "charset": None if charset is None else charset.get(qn("w:val")),
            }
pictures = [round(shape.width.mm) for shape in document.inline_shapes]
images = sorted(part.content_type for part in document.part.package.iter_parts() if part.content_type.startswith("image/"))
section = document.sections[0]
print(json.dumps({
    "font_table": font_table,
    "pictures_mm": pictures,
    "images": images,
    "paragraphs": [p.text for p in document.paragraphs],
    "tables": [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables],
    "east_asia_fonts": sorted(fonts),
    "page_mm": [round(section.page_width.mm), round(section.page_height.mm)],
    "margins_mm": [round(section.top_margin.mm), round(section.bottom_margin.mm), round(section.left_margin.mm), round(section.right_margin.mm)],
}, ensure_ascii=False))
