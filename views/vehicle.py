"""My vehicle: the visitor's car, sent with every question."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

import session_store
import vehicles
from automotive.recalls import RecallsReport, VehicleQuery, missing_fields
from automotive.vehicle import (
    MILEAGE_UNITS,
    VehicleError,
    VehicleProfile,
    fill_from_vin,
    validate_vehicle,
)
from models import db

bp = Blueprint("vehicle", __name__, url_prefix="/vehicle")

FIELDS = ("year", "make", "model", "engine", "mileage", "mileage_unit", "vin")


def _render(
    form: dict[str, object],
    saved: VehicleProfile | None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    recalls: RecallsReport | None = None,
    recall_needs: list[str] | None = None,
):
    return (
        render_template(
            "vehicle/index.html",
            form=form,
            errors=errors or {},
            units=MILEAGE_UNITS,
            saved=saved,
            recalls=recalls,
            recall_needs=recall_needs or [],
        ),
        status,
    )


@bp.get("")
def index():
    """Show the saved vehicle in an editable form, and NHTSA's recalls for it (cached)."""
    saved = _saved()
    query = VehicleQuery.from_profile(saved)
    report = None
    if query is not None:
        # NHTSA may take seconds: no database connection waits on it.
        db.session.close()
        report = current_app.extensions["recalls"].lookup(query)
    form = asdict(saved) if saved else {"mileage_unit": "mi"}
    return _render(form, saved, recalls=report, recall_needs=missing_fields(saved))


def _saved() -> VehicleProfile | None:
    return vehicles.profile_for(session_store.owner_id())


@bp.post("")
def save():
    """Save the vehicle; a VIN fills the year, make and model left empty."""
    form = {name: request.form.get(name, "") for name in FIELDS}
    try:
        profile = validate_vehicle(form)
    except VehicleError as rejected:
        return _render(form, _saved(), rejected.errors, 400)
    if profile.is_empty:
        errors = {"make": "Fill in at least one field, or paste a VIN."}
        return _render(form, _saved(), errors, 400)
    profile, note = fill_from_vin(profile)
    vehicles.save_profile(session_store.owner_id(), profile)
    flash(" ".join(p for p in (f"Saved: {profile.label()}.", note) if p), "success")
    return redirect(url_for("vehicle.index"), 303)


@bp.post("/forget")
def forget():
    """Delete the saved vehicle."""
    if vehicles.forget_profile(session_store.owner_id()):
        flash("Your vehicle was removed.", "success")
    return redirect(url_for("vehicle.index"), 303)
