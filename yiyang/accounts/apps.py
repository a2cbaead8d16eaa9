from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "yiyang.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from yiyang.accounts import (  # noqa: F401  (connects the login audit, the schema)
            receivers,
            schema,
        )
