"""The refresh history outlives its connection, as an audit trail (issue 14).

The foreign key becomes nullable with ``SET_NULL``, and each row keeps who and what it was
about (the user, the instance, the host, the Workfront user), filled in here for existing rows.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def fill_identity(apps: Any, schema_editor: Any) -> None:
    """Copy each existing row's connection identity into the row."""
    connection_model = apps.get_model("django_workfront_oauth", "WorkfrontConnection")
    log_model = apps.get_model("django_workfront_oauth", "RefreshLog")
    user_model = connection_model._meta.get_field("user").related_model
    username_field = getattr(user_model, "USERNAME_FIELD", "username")
    connections = connection_model.objects.filter(
        pk__in=log_model.objects.values("connection_id")
    ).values("pk", "instance", "host", "workfront_user_id", "workfront_user_name", "user_id")
    for connection in connections.iterator():
        username = (
            user_model._default_manager.filter(pk=connection["user_id"])
            .values_list(username_field, flat=True)
            .first()
        )
        log_model.objects.filter(connection_id=connection["pk"]).update(
            connection_ref=connection["pk"],
            username=str(username or "")[:150],
            instance=connection["instance"][:64],
            host=connection["host"][:255],
            workfront_user_id=connection["workfront_user_id"][:64],
            workfront_user_name=connection["workfront_user_name"][:255],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("django_workfront_oauth", "0004_server_to_server"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="refreshlog",
            options={
                "ordering": ("-created_at", "-id"),
                "verbose_name": "refresh history entry",
                "verbose_name_plural": "refresh history",
            },
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="actor",
            field=models.CharField(
                blank=True,
                help_text="The person behind it (a site admin or the user); blank when automatic.",
                max_length=150,
                verbose_name="by",
            ),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="connection_ref",
            field=models.PositiveBigIntegerField(
                blank=True,
                db_index=True,
                help_text="The connection's ID, kept after the connection is gone.",
                null=True,
                verbose_name="connection ID",
            ),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="event",
            field=models.CharField(
                blank=True,
                choices=[
                    ("renewed", "Renewed"),
                    ("renewal_failed", "Renewal failed"),
                    ("renewal_refused", "Renewal refused"),
                    ("no_refresh_token", "No refresh token"),
                    ("reconnection_required", "Reconnection required by an admin"),
                    ("disconnected", "Disconnected"),
                ],
                max_length=32,
                verbose_name="event",
            ),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="host",
            field=models.CharField(blank=True, max_length=255, verbose_name="host"),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="instance",
            field=models.CharField(blank=True, max_length=64, verbose_name="instance"),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="retry_at",
            field=models.DateTimeField(
                blank=True,
                help_text="After a failed renewal: when the next one is tried.",
                null=True,
                verbose_name="next attempt at",
            ),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="username",
            field=models.CharField(blank=True, max_length=150, verbose_name="user"),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="workfront_user_id",
            field=models.CharField(blank=True, max_length=64, verbose_name="Workfront user ID"),
        ),
        migrations.AddField(
            model_name="refreshlog",
            name="workfront_user_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="Workfront user name"),
        ),
        migrations.AlterField(
            model_name="refreshlog",
            name="connection",
            field=models.ForeignKey(
                blank=True,
                help_text=(
                    "Empty once the connection is gone; the row then stays as its audit trail."
                ),
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="refresh_log",
                to="django_workfront_oauth.workfrontconnection",
                verbose_name="connection",
            ),
        ),
        migrations.RunPython(fill_identity, migrations.RunPython.noop, elidable=True),
    ]
