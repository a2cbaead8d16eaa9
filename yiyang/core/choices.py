from django.db import models
from django.utils.translation import gettext_lazy as _


class DivisionLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District / county")
    STREET = "street", _("Street / township")
    COMMUNITY = "community", _("Community / village")


# The parent level each level must hang under (a city is a root).
PARENT_LEVEL: dict[str, str | None] = {
    DivisionLevel.CITY: None,
    DivisionLevel.DISTRICT: DivisionLevel.CITY,
    DivisionLevel.STREET: DivisionLevel.DISTRICT,
    DivisionLevel.COMMUNITY: DivisionLevel.STREET,
}

# GB/T 2260 + GB/T 10114 twelve-digit codes are hierarchical: the digits that identify a
# division at each level. Its subtree is every code that starts with this prefix.
CODE_PREFIX_LENGTH: dict[str, int] = {
    DivisionLevel.CITY: 4,
    DivisionLevel.DISTRICT: 6,
    DivisionLevel.STREET: 9,
    DivisionLevel.COMMUNITY: 12,
}


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logged out")
    LOCKED_OUT = "locked_out", _("Locked out")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    EXPORT = "export", _("Exported")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    OTP_ENROLLED = "otp_enrolled", _("Two-factor enrolled")
    OTP_FAILED = "otp_failed", _("Two-factor code rejected")
    OTP_RESET = "otp_reset", _("Two-factor reset")
    UNLOCKED = "unlocked", _("Login lockout lifted")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    IMPORT = "import", _("Imported")
    REVIEW = "review", _("Reviewed")
    KEYS_ROTATED = "keys_rotated", _("Encryption keys rotated")
    VIEW_SEALED = "view_sealed", _("Viewed sealed data")


class MapCrs(models.TextChoices):
    """Coordinate systems of map geometry. GCJ-02 is the offset system Chinese map
    services publish in; WGS 84 is GPS's."""

    WGS84 = "wgs84", _("WGS 84")
    GCJ02 = "gcj02", _("GCJ-02")


class RoadKind(models.TextChoices):
    EXPRESSWAY = "expressway", _("Expressway")
    ARTERIAL = "arterial", _("Arterial road")
    LOCAL = "local", _("Local road")


class RunStatus(models.TextChoices):
    """Where a computation run in the background has got to (a facility-planning scenario, a
    rostering run): queued by the page, taken by a worker, finished or failed."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Preparing the file")
    DONE = "done", _("Ready to download")
    FAILED = "failed", _("Export failed")
    EXPIRED = "expired", _("Expired: export again")


class ExportFailure(models.TextChoices):
    """Why an export failed, as a code; the page says it in the reader's language."""

    ERROR = (
        "error",
        _("The file could not be made. Try again; if it fails again, tell the administrator."),
    )
    NOT_ALLOWED = "not_allowed", _("Your account may no longer export this list.")
    UNKNOWN_KIND = "unknown_kind", _("This kind of export no longer exists.")
