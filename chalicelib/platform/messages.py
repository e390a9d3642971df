"""The message catalogue: every error a client sees comes from here, by code."""

from __future__ import annotations

MESSAGES: dict[str, tuple[int, str]] = {
    # generic request problems
    "malformed_json": (400, "The request body is not valid JSON."),
    "bad_request": (400, "The request could not be understood."),
    "body_too_large": (413, "The request body is larger than {limit} bytes."),
    "validation_failed": (422, "Some fields are missing or invalid."),
    "unsupported_media_type": (415, "Send JSON (application/json) or a form."),
    "not_found": (404, "Nothing was found at this address."),
    "internal_error": (500, "Something went wrong on our side; it was logged."),
    "service_unavailable": (503, "A service we depend on is unavailable; try again shortly."),
    # authentication and accounts
    "not_authenticated": (401, "Log in to continue."),
    "forbidden": (403, "Your account is not allowed to do this."),
    "csrf_rejected": (403, "This request did not come from a Notflix page; reload and retry."),
    "invalid_credentials": (401, "The email or password is incorrect."),
    "too_many_attempts": (429, "Too many failed logins; try again in {seconds} seconds."),
    "too_many_registrations": (429, "Too many new accounts from this network; try again in "
                                    "{seconds} seconds."),
    "too_many_reset_requests": (429, "Too many password reset requests; try again in "
                                     "{seconds} seconds."),
    "too_many_password_changes": (429, "Too many password change attempts; try again in "
                                       "{seconds} seconds."),
    "email_taken": (409, "An account with this email already exists; log in or reset the "
                         "password."),
    "password_too_short": (422, "The password must be at least {minimum} characters long."),
    "password_too_long": (422, "The password must be at most {maximum} characters long."),
    "password_too_common": (422, "This password is too common; choose a less guessable one."),
    "password_matches_account": (422, "The password must not contain your email or name."),
    "wrong_current_password": (403, "The current password is incorrect."),
    "reset_token_invalid": (400, "This reset link is invalid, used or expired; ask for a new "
                                 "one."),
    "user_not_found": (404, "No such user."),
    "unknown_role": (422, "Unknown role {role}; roles are {roles}."),
    # payments
    "unknown_plan": (422, "Unknown plan {plan}; plans are {plans}."),
    "already_subscribed": (409, "You already have an active subscription."),
    "no_subscription": (404, "You have no subscription to cancel."),
    "same_plan": (409, "You are on the {plan} plan already."),
    "no_active_subscription": (409, "Changing plans needs an active subscription; choose a "
                                    "plan first."),
    "nothing_to_restart": (409, "There is no cancelled subscription with paid time left to "
                                "restart; choose a plan instead."),
    "payment_provider_error": (502, "PayPal could not complete this; try again in a moment."),
    "bad_cursor": (400, "The cursor is not one this API gave out."),
    "bad_query_param": (400, "The query parameter {name} {problem}."),
    # catalogue
    "title_not_found": (404, "No title has this id."),
    "bad_poster_name": (400, "A poster is /posters/<title id>.svg (generated) or "
                             "/posters/<title id>.jpg (the title's own frame)."),
    "season_not_found": (404, "This title has no season {season}."),
    "unknown_country": (404, "{country} is not an ISO 3166-1 country code (e.g. US, FR, JP)."),
    "no_ranking": (404, "No ranking for {country_name}: not enough rated films (a country is "
                        "ranked once at least {minimum} of its films have ratings)."),
    "bad_filter": (400, "{name} {problem}."),
    "bad_query": (400, "Search needs a query of 1 to {maximum} characters in ?q=."),
    "bad_csv": (400, "Line {line}: {problem}"),
    "csv_type": (415, "Send IMDb's CSV export as the body (text/csv), or as JSON "
                      "{{\"csv\": \"...\"}}."),
    "imdb_too_many_rows": (413, "An IMDb list can be imported {limit} rows at a time; split "
                                "the file."),
    "text_not_unicode": (400, "{field} holds a lone surrogate (such as \\ud800), which is not "
                              "text; send Unicode characters."),
    "tmdb_not_configured": (409, "TMDB imports are not configured: set NOTFLIX_TMDB_API_KEY "
                                 "or NOTFLIX_TMDB_BEARER_TOKEN (see the README)."),
    "import_running": (409, "An import is already running (run {run_id})."),
    "import_not_found": (404, "No import run has this id."),
    "search_unavailable": (503, "Search is being prepared; try again in a minute."),
    # usage and recommendations
    "title_not_playable": (409, "This title has no stream to watch yet."),
    "subscription_required": (402, "Watching needs an active subscription; choose a plan to "
                                   "start watching."),
    "stream_not_found": (404, "No such stream file."),
    "my_list_full": (409, "My List holds at most {limit} titles; remove some to add more."),
    "page_not_found": (404, "There is no page here."),
    "episode_not_found": (404, "This series has no playable episode {episode} (episodes look "
                               "like S1E3)."),
    "bad_upload_name": (422, "Upload a video ({suffixes}) with its file name."),
    "upload_too_large": (413, "Files up to {limit} bytes can be uploaded."),
    "upload_not_found": (404, "You have no upload with this id."),
    "bad_part_numbers": (422, "Ask for 1 to {batch} part numbers at a time, each from 1 to "
                              "{count}."),
    "upload_parts_mismatch": (422, "These parts cannot complete the upload: {problem}."),
    "upload_already_completed": (409, "This upload is already complete; follow its encode at "
                                      "{status_url}."),
    "upload_aborted": (409, "This upload was cancelled ({reason}); start it again."),
    "upload_completing": (409, "This upload is being completed; check its status in a "
                               "moment."),
    "upload_title_not_assigned": (403, "You may not upload to title {title_id}: an admin must "
                                       "assign it to you first (or create a new title and "
                                       "upload to it)."),
    "upload_access_not_found": (404, "This user is not assigned title {title_id}."),
    "job_not_found": (404, "No encode job has this id."),
    "job_log_missing": (404, "This job has no log yet."),
    "job_finished": (409, "The job has already finished ({status}): there is nothing to cancel."),
    "webhook_unverified": (401, "The request's webhook id or signature is not valid."),
    "webhook_stale": (401, "The request's timestamp is more than {seconds} s away from now."),
    "webhook_replay": (409, "This signed request was already received."),
    "actor_not_allowed": (403, "{actor} may not ingest through this webhook."),
    "ingest_key_invalid": (422, "key must be an object under incoming/ or uploads/."),
    "ingest_key_missing": (404, "The uploads bucket has no object {key}."),
    "job_running": (409, "The job is still {status}: cancel it first, or wait for it to end."),
    "job_published": (409, "The job published its stream; re-encode the title instead."),
    "nothing_to_reencode": (404, "This title has no published stream to encode again."),
    "job_source_gone": (410, "The job's source file is no longer kept (retention removed it)."),
    "unknown_panel": (400, "Unknown panel {panel}; panels are {panels}."),
    "bad_progress": (422, "position_s must lie between 0 and duration_s ({duration} s)."),
    # profiles
    "profile_not_found": (404, "This account has no such profile."),
    "profiles_full": (409, "An account has at most {maximum} profiles; delete one first."),
    "profile_is_main": (409, "The account's main profile cannot be deleted or made a kids "
                            "profile."),
    "profile_pin_required": (403, "This profile is locked: enter its PIN."),
    "profile_pin_wrong": (403, "That PIN is not this profile's."),
    "profile_pin_attempts": (429, "Too many wrong PINs; try again in {seconds} seconds."),
    "kids_profile_restricted": (403, "A kids profile cannot manage profiles; switch to "
                                     "another profile first."),
    "above_maturity": (403, "This title is rated above what this profile may watch."),
    "unknown_maturity": (422, "Unknown rating {rating}; ratings are {ratings}."),
    # playback quality (chalicelib/telemetry)
    "play_not_found": (404, "You have no play with this play_id (it expires 12 hours after "
                            "the play began); use the one its play grant answered."),
}


def message(code: str, **values: object) -> tuple[int, str]:
    """Status and text for a code, with any placeholders filled in."""
    status, text = MESSAGES[code]
    return status, text.format(**values)
