# The health facilities care is combined with become organisation kinds of their own.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('organisations', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organisation',
            name='kind',
            field=models.CharField(choices=[('civil_affairs_bureau', 'Civil-affairs bureau'), ('street_office', 'Street office'), ('community_committee', 'Community committee'), ('care_institution', 'Care institution'), ('community_station', 'Community care station'), ('day_care_centre', 'Day-care centre'), ('elderly_canteen', 'Elderly canteen'), ('home_care_company', 'Home-care company'), ('third_party_operator', 'Third-party operator'), ('health_centre', 'Community or township health centre'), ('village_clinic', 'Village clinic')], max_length=32, verbose_name='kind'),
        ),
    ]
