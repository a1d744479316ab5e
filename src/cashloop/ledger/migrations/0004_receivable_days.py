"""Daily receivables flows (ledger.models.flows) and the triggers that keep them."""

from django.db import migrations, models


def install(apps, schema_editor):
    from cashloop.ledger.services import flows

    flows.install_triggers(schema_editor.connection)
    flows.rebuild_all(schema_editor.connection)


def uninstall(apps, schema_editor):
    from cashloop.ledger.services import flows

    flows.drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0003_invoice_list_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReceivableDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('company_id', models.BigIntegerField()),
                ('currency', models.CharField(max_length=3)),
                ('day', models.DateField()),
                ('issued_minor', models.BigIntegerField(default=0)),
                ('issued_count', models.IntegerField(default=0)),
                ('collected_minor', models.BigIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('company_id', 'currency', 'day'), name='receivable_day_unique')],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
