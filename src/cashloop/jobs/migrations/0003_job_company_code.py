from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_company_code(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    Company = apps.get_model("ledger", "Company")
    Job.objects.update(company_code=Subquery(
        Company.objects.filter(pk=OuterRef("company_id")).values("code")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("jobs", "0002_job_runner"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="company_code",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(fill_company_code, migrations.RunPython.noop),
    ]
