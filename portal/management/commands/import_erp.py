from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import erp


class Command(BaseCommand):
    help = (
        "Imports one CSV or XLSX file exported by the ERP as an idempotent upsert. "
        "If any row is bad, nothing from the file is written and every bad row is reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="One of: " + ", ".join(erp.KINDS))
        parser.add_argument("file", help="A .csv (UTF-8, ';' or ',') or .xlsx file with a header.")

    def handle(self, *, kind, file, **options):
        try:
            result = erp.import_file(kind=kind, path=file)
        except erp.ImportFileError as error:
            raise CommandError(str(error)) from None
        if result.ignored_columns:
            self.stderr.write(
                _("Ignored columns that %(kind)s do not use: %(columns)s.")
                % {"kind": result.kind, "columns": ", ".join(result.ignored_columns)}
            )
        if result.error_count:
            # The first errors and how many more: a file with a million bad rows gets a report
            # that someone can read, not a million lines.
            for line in result.error_lines():
                self.stderr.write(line)
            count = result.error_count
            raise CommandError(
                ngettext(
                    "%(count)d error in %(file)s; nothing from it was imported.",
                    "%(count)d errors in %(file)s; nothing from it was imported.",
                    count,
                )
                % {"count": count, "file": result.file}
            )
        self.stdout.write(result.summary())
