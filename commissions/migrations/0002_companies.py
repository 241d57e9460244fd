from django.db import migrations

COMPANIES = [
    ("IMB", "Ingram Micro Brasil Ltda.", "01771935000215", "80"),
    ("IMT", "Ingram Micro Tecnologia Ltda.", "06241557000109", "87"),
    ("BRLINK", "BRLINK Serviços e Soluções em Tecnologia Ltda.", "05620160000157", "82"),
]


def create_companies(apps, schema_editor):
    Company = apps.get_model("commissions", "Company")
    for code, legal_name, cnpj, prefix in COMPANIES:
        Company.objects.update_or_create(
            code=code, defaults={"legal_name": legal_name, "cnpj": cnpj, "invoice_prefix": prefix}
        )


class Migration(migrations.Migration):
    dependencies = [("commissions", "0001_initial")]

    operations = [migrations.RunPython(create_companies, migrations.RunPython.noop)]
