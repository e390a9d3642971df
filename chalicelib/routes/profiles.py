"""Profiles: list, choose (the picker), create, edit, delete; and titles' maturity ratings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.auth.principal import current
from chalicelib.openapi import responses as api
from chalicelib.openapi.declarations import ADMIN, SEE_OTHER, USER, Op
from chalicelib.openapi.queries import NEXT, PATH_PARAM_MAX_LENGTH
from chalicelib.platform.errors import catalogued
from chalicelib.platform.http import (
    BODY_TYPES,
    Json,
    SeeOther,
    is_form,
    json_response,
    local_path,
    see_other,
)
from chalicelib.platform.lazy import lazy_module
from chalicelib.routes.common import audit, body, query, request
from chalicelib.routes.declare import declare
from chalicelib.routes.root import services

if TYPE_CHECKING:
    from chalicelib.auth.users import User
    from chalicelib.profiles import schemas as profile_schemas
    from chalicelib.profiles.service import ProfileChanges
    from chalicelib.profiles.store import Profile
else:  # pydantic loads with the first request that parses a body
    profile_schemas = lazy_module("chalicelib.profiles.schemas")

bp = Blueprint(__name__)
MANAGE_PAGE = "/profiles/manage"


def _changes(data: object) -> ProfileChanges:
    from chalicelib.profiles.service import ProfileChanges

    return ProfileChanges(name=getattr(data, "name", None), avatar=getattr(data, "avatar", None),
                          kids=getattr(data, "kids", None),
                          ceiling=getattr(data, "maturity_ceiling", None),
                          pin=getattr(data, "pin", None) or None,
                          remove_pin=bool(getattr(data, "remove_pin", False)))


def _profile_id(profile_id: str) -> str:
    if len(profile_id) > PATH_PARAM_MAX_LENGTH:
        raise catalogued("profile_not_found")
    return profile_id


def _acting() -> tuple[User, Profile]:
    """The caller and the profile it acts as (kids profiles may not manage profiles)."""
    who = current()
    if who.profile is None:  # every session has one (the main profile by default)
        raise catalogued("profile_not_found")
    return who.user, who.profile


def _updated(profile_id: str) -> api.ViewerProfile:
    user, acting = _acting()
    data = body(profile_schemas.ProfilePatchIn)
    return services.profiles.update(user, acting, _profile_id(profile_id),
                                    _changes(data)).public()


def _deleted(profile_id: str) -> None:
    user, acting = _acting()
    services.profiles.delete(user, acting, _profile_id(profile_id))


@declare(bp, "GET", "/api/me/profiles", Op(
    "The account's profiles and the one this session watches as", "profiles", "Profiles",
    roles=USER))
def list_profiles() -> Json[api.Profiles]:
    who = current()
    return json_response({"profiles": [p.public() for p in services.profiles.profiles(who.user)],
                          "current": who.viewer_id})


@declare(bp, "POST", "/api/me/profiles", Op(
    "Add a profile (at most 5; a kids profile has a maturity ceiling, PG by default)",
    "profiles", "ViewerProfile", 201, "chalicelib.profiles.schemas:ProfileIn", roles=USER,
    errors=(403, 409, 422), also=SEE_OTHER), content_types=BODY_TYPES)
def create_profile() -> Json[api.ViewerProfile] | SeeOther:
    user, acting = _acting()
    created = services.profiles.create(user, acting, _changes(body(profile_schemas.ProfileIn)))
    if is_form(request()):
        return see_other(MANAGE_PAGE)
    return json_response(created.public(), 201)


@declare(bp, "PATCH", "/api/me/profiles/{profile_id}", Op(
    "Change a profile's name, avatar, kids setting, ceiling or PIN (`remove_pin` unlocks it)",
    "profiles", "ViewerProfile", body="chalicelib.profiles.schemas:ProfilePatchIn",
    roles=USER, errors=(403, 404, 409, 422)), content_types=BODY_TYPES)
def update_profile(profile_id: str) -> Json[api.ViewerProfile]:
    return json_response(_updated(profile_id))


@declare(bp, "POST", "/api/me/profiles/{profile_id}/edit", Op(
    "The same, from the manage page's form (303 back to it)", "profiles", "ViewerProfile",
    body="chalicelib.profiles.schemas:ProfilePatchIn", roles=USER,
    errors=(403, 404, 409, 422), also=SEE_OTHER), content_types=BODY_TYPES)
def edit_profile_form(profile_id: str) -> Json[api.ViewerProfile] | SeeOther:
    changed = _updated(profile_id)
    return see_other(MANAGE_PAGE) if is_form(request()) else json_response(changed)


@declare(bp, "DELETE", "/api/me/profiles/{profile_id}", Op(
    "Delete a profile (not the main one) and erase its viewing data", "profiles", None, 204,
    roles=USER, errors=(403, 404, 409),
    description="The profile's history, resume points, continue watching, My List, thumbs "
                "and cached recommendations are erased, and its node in the recommendation "
                "graph loses its edges. The main profile's data is not touched."))
def delete_profile(profile_id: str) -> Response:
    _deleted(profile_id)
    return Response(body="", status_code=204)


@declare(bp, "POST", "/api/me/profiles/{profile_id}/delete", Op(
    "The same, from the manage page's form (303 back to it)", "profiles", None, 204,
    roles=USER, errors=(403, 404, 409), also=SEE_OTHER), content_types=BODY_TYPES)
def delete_profile_form(profile_id: str) -> Response:
    _deleted(profile_id)
    return see_other(MANAGE_PAGE) if is_form(request()) else Response(body="", status_code=204)


@declare(bp, "POST", "/api/me/profiles/{profile_id}/choose", Op(
    "Watch as this profile in this session (a locked one wants its PIN)", "profiles",
    "ViewerProfile", body="chalicelib.profiles.schemas:ChooseIn", roles=USER,
    errors=(403, 404, 422, 429), also=SEE_OTHER, query=(NEXT,)), content_types=BODY_TYPES)
def choose_profile(profile_id: str) -> Json[api.ViewerProfile] | SeeOther:
    who = current()
    data = body(profile_schemas.ChooseIn)
    chosen = services.profiles.choose(who.user, who.session, _profile_id(profile_id),
                                      data.pin or None)
    if is_form(request()):
        return see_other(local_path(query("next")))
    return json_response(chosen.public())


@declare(bp, "PUT", "/api/admin/titles/{title_id}/maturity", Op(
    "Rate a title (MPAA or US TV; kids profiles see it up to their ceiling); \"\" goes back "
    "to the source's rating", "admin", "TitleMaturity",
    body="chalicelib.profiles.schemas:MaturityIn", roles=ADMIN, errors=(404, 422),
    also=SEE_OTHER), content_types=BODY_TYPES)
def rate_title(title_id: str) -> Json[api.TitleMaturity] | SeeOther:
    from chalicelib.profiles.title_maturity import rate_title as set_rating

    data = body(profile_schemas.MaturityIn)
    if len(title_id) > PATH_PARAM_MAX_LENGTH:
        raise catalogued("title_not_found")
    rated = set_rating(title_id, data.rating)
    audit("title.maturity", title_id, rating=data.rating or None)
    if is_form(request()):
        return see_other(f"/titles/{title_id}")
    return json_response(rated)
