# Problems keep their message template and parameters, so past batches display translated.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0002_batch_details'),
    ]

    operations = [
        migrations.AddField(
            model_name='importproblem',
            name='template',
            field=models.CharField(blank=True, default='', max_length=1000),
        ),
        migrations.AddField(
            model_name='importproblem',
            name='params',
            field=models.JSONField(blank=True, default=list),
        ),
    ]
