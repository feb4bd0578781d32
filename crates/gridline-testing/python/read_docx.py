"""Reads a DOCX with python-docx (a reader written independently of gridline) and prints what the
tests check as JSON: the paragraphs' text, the tables' cells, the East-Asian fonts the runs name,
and the first section's page size and margins in millimetres. Exit 77 when python-docx is absent."""
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
section = document.sections[0]
print(json.dumps({
    "paragraphs": [p.text for p in document.paragraphs],
    "tables": [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables],
    "east_asia_fonts": sorted(fonts),
    "page_mm": [round(section.page_width.mm), round(section.page_height.mm)],
    "margins_mm": [round(section.top_margin.mm), round(section.bottom_margin.mm), round(section.left_margin.mm), round(section.right_margin.mm)],
}, ensure_ascii=False))
