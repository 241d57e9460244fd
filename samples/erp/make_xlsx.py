"""Builds orders.xlsx from orders.csv with typed cells, as an ERP's Excel export would have them.

Order numbers and customer codes become numbers, created_at a date-time, total a number with a
currency format, so importing the workbook exercises the typed-cell parsers. The output is
committed; run this again after changing orders.csv:

    .venv/bin/python samples/erp/make_xlsx.py
"""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
# Fixed so that rebuilding an unchanged CSV gives the same workbook.
STAMP = dt.datetime(2025, 6, 1, 12, 0)


def typed(column, value):
    if not value:
        return None
    if column in ("number", "customer_code"):
        return int(value)
    if column == "created_at":
        return dt.datetime.strptime(value, "%d/%m/%Y %H:%M")
    if column == "total":
        return float(Decimal(value))
    return value


def main():
    with (HERE / "orders.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    header, data = rows[0], rows[1:]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Pedidos"
    sheet.append(header)
    for values in data:
        sheet.append([typed(column, value) for column, value in zip(header, values, strict=True)])
    formats = {"created_at": "DD/MM/YYYY HH:MM", "total": '"R$" #,##0.00'}
    for index, column in enumerate(header, start=1):
        if column in formats:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = formats[column]
    workbook.properties.created = workbook.properties.modified = STAMP
    workbook.save(HERE / "orders.xlsx")


if __name__ == "__main__":
    main()
