"""The owner's saved vehicle: read, save and forget it."""

from __future__ import annotations

from automotive.vehicle import VehicleProfile
from models import Vehicle, db


def profile_for(owner_id: str) -> VehicleProfile | None:
    """Return the owner's saved vehicle, or None when there is none."""
    row = Vehicle.profile_row(owner_id)
    if row is None:
        return None
    return VehicleProfile(
        year=row.year,
        make=row.make,
        model=row.model,
        engine=row.engine,
        mileage=row.mileage,
        mileage_unit=row.mileage_unit or "mi",
        vin=row.vin,
    )


def save_profile(owner_id: str, profile: VehicleProfile) -> None:
    """Store the owner's vehicle, replacing the one saved before."""
    row = Vehicle.of_owner(owner_id) or Vehicle(owner_id=owner_id)
    row.year = profile.year
    row.make = profile.make
    row.model = profile.model
    row.engine = profile.engine
    row.mileage = profile.mileage
    row.mileage_unit = profile.mileage_unit
    row.vin = profile.vin  # updated_at follows by itself (onupdate)
    db.session.add(row)
    db.session.commit()


def forget_profile(owner_id: str) -> bool:
    """Delete the owner's vehicle; tell whether there was one."""
    row = Vehicle.of_owner(owner_id)
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True
