from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yiyang.core.api.records import RecordSerializer, ref
from yiyang.scheduling.models import PlanRun
from yiyang.scheduling.services import MAX_TIME_LIMIT
from yiyang.scheduling.wording import note_text, reason_text


def worded_proposal(proposal: dict[str, Any]) -> dict[str, Any]:
    """The stored proposal with words for its codes, in the request's language: a
    ``message`` beside each unassigned ``code``, and each note as ``code``, ``params`` and
    ``text`` (a note stored as a sentence before the codes keeps it as its ``text``)."""
    out = dict(proposal)
    out["visits"] = [
        {**row, "unassigned": {**row["unassigned"], "message": reason_text(row["unassigned"])}}
        if row.get("unassigned")
        else row
        for row in proposal.get("visits", [])
    ]
    out["unassigned"] = [
        {**entry, "message": reason_text(entry)} for entry in proposal.get("unassigned", [])
    ]
    out["notes"] = [
        {"code": n.get("code", ""), "params": n.get("params", {}), "text": note_text(n)}
        if isinstance(n, dict)
        else {"code": "", "params": {}, "text": str(n)}
        for n in proposal.get("notes", [])
    ]
    return out


class PlanRunSerializer(RecordSerializer):
    """A run of the optimiser. ``proposal`` (when ``status`` is ``done``) has ``visits``
    (per visit: ``window`` and ``current``/``proposed`` start in minutes from midnight,
    caregiver ids, ``changed``, ``fixed``, ``unassigned`` with ``code`` and ``message``),
    ``caregivers`` (id and shift), the figures of the ``current`` plan and of the
    ``proposal`` (travel, lateness and overtime minutes, unassigned visits, continuity kept),
    ``unassigned`` explanations (``code``, ``params``, ``message``) and ``notes`` (``code``,
    ``params``, ``text``); the words are in the request's language."""

    provider = ref("provider")
    date = serializers.DateField(source="day", read_only=True)
    dropped_caregiver = serializers.SerializerMethodField()
    proposal = serializers.JSONField(read_only=True)

    class Meta:
        model = PlanRun
        fields = (
            "id",
            "provider",
            "date",
            "kind",
            "dropped_caregiver",
            "status",
            "progress",
            "time_limit",
            "seed",
            "created_at",
            "started_at",
            "finished_at",
            "error",
            "accepted_at",
            "proposal",
        )
        read_only_fields = fields

    def to_representation(self, instance: PlanRun) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("proposal"):
            data["proposal"] = worded_proposal(data["proposal"])
        return data

    def get_dropped_caregiver(self, run: PlanRun) -> str | None:
        dropped = run.dropped_caregiver
        return str(dropped.external_id) if dropped is not None else None


class PlanRunCreateSerializer(serializers.Serializer):
    provider = serializers.UUIDField()
    date = serializers.DateField()
    time_limit = serializers.FloatField(
        required=False, default=20, min_value=1, max_value=MAX_TIME_LIMIT
    )
    seed = serializers.IntegerField(required=False, default=0)


class ReplanSerializer(PlanRunCreateSerializer):
    caregiver = serializers.UUIDField(help_text="The caregiver who dropped out.")
    time_limit = serializers.FloatField(
        required=False, default=10, min_value=1, max_value=MAX_TIME_LIMIT
    )


class AcceptSerializer(serializers.Serializer):
    visits = serializers.JSONField(
        help_text='The visit ids to accept, or "all" (the default).',
        required=False,
        allow_null=True,
    )

    def validate_visits(self, value: object) -> list[str] | None:
        if value == "all" or value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise serializers.ValidationError('Give a list of visit ids or "all".')
        return value


class RefusalSerializer(serializers.Serializer):
    """A refusal of the dispatch rules: the rule (``code``), the caregiver, the parameters,
    the conflicting visit's id, and the words in the caller's language."""

    code = serializers.CharField()
    caregiver = serializers.CharField(required=False)
    caregiver_id = serializers.CharField(required=False)
    params = serializers.DictField(required=False)
    conflict = serializers.UUIDField(required=False, allow_null=True)
    message = serializers.CharField()


class AcceptResultSerializer(serializers.Serializer):
    assigned = serializers.ListField(child=serializers.UUIDField())
    unchanged = serializers.ListField(child=serializers.UUIDField())
    refused = serializers.DictField(child=RefusalSerializer(many=True))
    unassigned = serializers.ListField(
        child=serializers.UUIDField(),
        help_text="Visits the proposal leaves out, now unassigned (after a dropout: the "
        "dropped caregiver's visits nobody else could take).",
    )
