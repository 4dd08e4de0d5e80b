"""Human messages for the reason codes of the domain and services (interface layer).

One table, translated through Flask-Babel, used by web forms, the CLI and (later) the API, so the
same refusal reads the same everywhere.
"""

from __future__ import annotations

from babel.dates import get_month_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.domain.dates import split_nonexistent

MESSAGES = {
    # addresses
    "postcode.required": _l("Enter a postcode."),
    "postcode.format": _l("Enter a postcode as 4 digits and 2 letters, for example 3511 AB."),
    "postcode.leading_zero": _l("A Dutch postcode never starts with 0."),
    "postcode.reserved": _l("Postcodes with the letters SA, SD or SS do not exist."),
    "house_number.required": _l("Enter a house number."),
    "house_number.format": _l("Enter the house number as digits only, for example 12."),
    "house_number.range": _l("A house number is between 1 and 99999."),
    "house_letter.format": _l("A house letter is a single letter A to Z."),
    "addition.format": _l("An addition is at most 4 letters or digits."),
    "bag_id.format": _l("A BAG identification is 16 digits."),
    "bag_id.object_type": _l("This BAG identification is of another kind of object."),
    "uses.unknown": _l("Unknown use (gebruiksdoel)."),
    "floor_area.format": _l("Floor area must be a whole number of square metres."),
    "floor_area.range": _l("Floor area must be between 1 and 100,000 m²."),
    "field.required": _l("This field is required."),
    "street.required": _l("Enter the street."),
    "town.required": _l("Enter the town."),
    "municipality.unknown": _l("Unknown municipality; import the municipality first."),
    "municipality.required": _l("Give the municipality (for example GM0344)."),
    "municipality_code.format": _l("A municipality code is GM followed by 4 digits."),
    "duplicate_in_file": _l("This line repeats an earlier line of the file."),
    "columns.missing": _l("Columns are missing from the header."),
    "file.encoding": _l("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."),
    "file.format": _l("The file could not be read as CSV."),
    "field.too_long": _l("This value is too long."),
    # declarations
    "occupants.required": _l("Enter the number of occupants."),
    "occupants.range": _l("The number of occupants is between 1 and 500."),
    "brp.negative": _l("The number registered in the BRP cannot be negative."),
    "brp.more_than_occupants": _l(
        "The number registered in the BRP cannot be more than the number of occupants."
    ),
    "start_date.required": _l("Enter the start date."),
    "date.too_early": _l("The date may be at most a year ago."),
    "date.too_late": _l("The date may be at most a year ahead."),
    "end_date.before_start": _l("The end date cannot be before the start date."),
    "end_date.required": _l("Enter the last night at this address."),
    "end_reason.required": _l("Choose why the occupancy ended."),
    "separate_contracts.required": _l(
        "Choose whether the rental contract and the employment contract are separate documents."
    ),
    "effective_date.required": _l("Enter the date from which the new number applies."),
    "effective_date.before_start": _l("The date cannot be before the start of the declaration."),
    "effective_date.after_end": _l("The date cannot be after the end of the declaration."),
    "declaration.superseded": _l(
        "This declaration has already been changed or ended. Open the latest filing."
    ),
    "declaration.ended": _l("This declaration has ended and cannot be changed."),
    "load.kind": _l(
        "The kind is new, amendment or end; an amendment or end names the filing it follows,"
        " and an end has an end date and a reason."
    ),
    "load.supersedes": _l(
        "The filing this row follows is not an earlier row of the same load for the same"
        " organisation and address."
    ),
    "load.key_repeated": _l("This row number is used more than once in the load."),
    "address.unknown": _l("Choose an address from the register or enter it by hand."),
    "address_conflict.closed": _l(
        "This address conflict has been decided already, or is not your municipality's."
    ),
    "address_conflict.entry_unknown": _l("Choose one of the entries of this address."),
    "address_conflict.not_a_candidate": _l(
        "Choose a register address at the same postcode and house number."
    ),
    "reference.format": _l("A reference looks like MH-2026-000123."),
    "verification_code.format": _l(
        "A verification code is 12 letters and digits, for example ABCD-EFGH-JKMN."
    ),
    # inspectors: signals (flags) and alert settings
    "flag.status_unknown": _l("Choose a status."),
    "flag.closed": _l("This signal is closed. Its status and assignment can no longer be changed."),
    "flag.not_started": _l(
        "Start handling the signal first. Only a signal that is in progress can be closed."
    ),
    "flag.transition": _l(
        "This change of status is not possible. A signal goes from open to in progress, and "
        "from in progress to handled or dismissed."
    ),
    "flag.outcome_required": _l("Choose the outcome of the inspection to close the signal."),
    "assignee.unknown": _l("Choose an inspector of your own municipality."),
    "note.required": _l("Write a note."),
    "note.too_long": _l("A note is at most 4,000 characters."),
    "alert_mode.unknown": _l("Choose how you want to receive alerts."),
    # organisations and accounts
    "organisation_name.required": _l("Enter the name of the organisation."),
    "organisation_name.too_long": _l("The name is at most 200 characters."),
    "kvk.required": _l("Enter the KvK number."),
    "kvk.format": _l("A KvK number is 8 digits."),
    "kvk.taken": _l(
        "An organisation with this KvK number already exists. Ask its administrator to invite you."
    ),
    # contact details (services.organisation_profile; issue 20)
    "phone.format": _l(
        "Enter a phone number of 10 digits starting with 0, for example 030 123 4567, or an "
        "international number starting with + or 00, for example +31 30 123 4567."
    ),
    "phone.not_admin": _l("Only an administrator of the organisation can change its phone number."),
    # mandates (services.mandates; issue 18)
    "declared_for.no_mandate": _l(
        "You have no mandate in force today to declare for the organisation with this KvK "
        "number. Ask its administrator to grant your organisation a mandate in the portal "
        "(Organisation, Mandates)."
    ),
    "mandate.self": _l("Your organisation cannot grant a mandate to itself."),
    "mandate.end_in_past": _l("The end date cannot be in the past."),
    "snf.format": _l("An SNF number has at most 20 letters, digits or dashes."),
    "kinds.required": _l("Choose at least one kind of organisation."),
    "display_name.too_long": _l("A name is at most 120 characters."),
    "email.required": _l("Enter an email address."),
    "email.format": _l("Enter a valid email address, for example name@example.nl."),
    "password.too_short": _l("The password must be at least %(n)s characters."),
    "password.too_long": _l("The password may be at most 128 characters."),
    "password.common": _l("This password is among the most used passwords; choose another."),
    "password.repetitive": _l("This password repeats too few characters; choose another."),
    "password.personal": _l("The password is too close to your email address or organisation."),
    "password.mismatch": _l("The two passwords are not the same."),
    "login.failed": _l("The email address or password is incorrect."),
    "login.unverified": _l(
        "Confirm your email address first with the link we sent you. "
        "You can ask for a new link below."
    ),
    "token.invalid": _l("This link is not valid or has already been used."),
    "token.expired": _l("This link has expired. Ask for a new one."),
    # two-factor login (TOTP and recovery codes)
    "totp.format": _l(
        "Enter the 6-digit code from your app, or a recovery code of 24 letters and digits."
    ),
    "totp.wrong": _l(
        "This code is not correct. Enter the code your app shows now, or a recovery code."
    ),
    "totp.replay": _l("This code has already been used. Wait for the next code in your app."),
    "totp.too_many": _l("Too many attempts. Wait a few minutes and try again."),
    "totp.enrol_wrong": _l(
        "This code is not correct. Check that the time on your phone is set automatically, "
        "then enter the code the app shows now."
    ),
    "totp.enrol_expired": _l("The set-up has expired. Start again and scan the new QR code."),
    "totp.already_enrolled": _l("Two-factor login is already set up for your account."),
    "totp.not_enrolled": _l("Two-factor login is not set up yet for your account."),
    "invite.email_taken": _l("This email address already has an account."),
    "invite.not_allowed": _l("Only an administrator of the organisation can invite colleagues."),
    "role.unknown": _l("Choose a role."),
    "role.no_tenant": _l("A system administrator belongs to no organisation or municipality."),
    "remove.not_allowed": _l("You cannot remove this user."),
    "remove.already_removed": _l("This user has already been removed."),
    "remove.last_admin": _l(
        "You are the last administrator of your organisation. Make a colleague administrator first."
    ),
    "organisation.required": _l("Give the KvK number of the organisation."),
    "organisation.unknown": _l("No organisation with this KvK number is registered."),
    # outgoing mail (system admins)
    "outbox.already_sent": _l("This message has already been sent. It is not sent again."),
    # municipal policy and users (municipal admins)
    "policy.effective_from.required": _l("Enter the date from which the policy applies."),
    "policy.effective_from.past": _l(
        "Choose today or a later date. A policy cannot start in the past: declarations are "
        "judged by the policy that applied on their dates."
    ),
    "policy.effective_from.in_force": _l(
        "A policy already applies from this date. Choose a later date."
    ),
    "policy.effective_from.planned": _l(
        "A policy is already planned from this date. Tick “Replace the planned policy” to "
        "replace it, or choose another date."
    ),
    "policy.m2_per_person_dwelling.required": _l(
        "Enter the minimum floor area per person in a dwelling, in m²."
    ),
    "policy.m2_per_person_dwelling.range": _l(
        "The minimum floor area per person in a dwelling is between 6 and 50 m²."
    ),
    "policy.m2_per_person_lodging.required": _l(
        "Enter the minimum floor area per person in lodging, in m²."
    ),
    "policy.m2_per_person_lodging.range": _l(
        "The minimum floor area per person in lodging is between 6 and 50 m²."
    ),
    "policy.no_permit_max_occupants.required": _l(
        "Enter the number of occupants allowed without a permit."
    ),
    "policy.no_permit_max_occupants.range": _l(
        "The number of occupants allowed without a permit is between 1 and 20."
    ),
    "policy.near_limit_percent.required": _l("Enter the near-limit percentage."),
    "policy.near_limit_percent.range": _l("The near-limit percentage is between 50 and 100."),
    "policy.late_after_days.required": _l("Enter after how many days a declaration is late."),
    "policy.late_after_days.range": _l("A declaration is late after 0 to 30 days."),
    "alert_emails.format": _l("“%(address)s” is not a valid email address."),
    "alert_emails.too_many": _l("Enter at most 10 email addresses."),
    "alert_emails.too_long": _l(
        "Together these addresses are longer than 500 characters. Enter fewer addresses."
    ),
    "municipal_admin.only": _l("Only a municipal administrator of this municipality can do this."),
    "deactivate.not_allowed": _l("You cannot deactivate this user."),
    "deactivate.already": _l("This user has already been deactivated."),
    "deactivate.last_admin": _l(
        "You are the last municipal administrator who can log in. Invite another municipal "
        "administrator first; once they have chosen a password, you can be deactivated."
    ),
    # --- permit register ---
    "permit.date.format": _l(
        "Enter a date as day-month-year, for example 31-12-2027, or as 2027-12-31."
    ),
    "permit.max_occupants.required": _l("Enter the maximum number of occupants."),
    "permit.max_occupants.format": _l(
        "Enter the maximum number of occupants as a whole number, for example 8."
    ),
    "permit.max_occupants.range": _l("The maximum number of occupants is between 1 and 10,000."),
    "permit.decision_reference.required": _l("Enter the reference of the municipal decision."),
    "permit.decision_reference.too_long": _l(
        "The reference of the decision is at most 60 characters."
    ),
    "permit.decision_reference.taken": _l(
        "Your municipality already has a permit with this decision reference. Open that permit "
        "to change it, or check the reference."
    ),
    "permit.type.required": _l("Choose the kind of permit."),
    "permit.type.not_issued": _l(
        "Your municipality does not issue this kind of permit. Add it under “Kinds of permit” "
        "first, or choose another kind."
    ),
    "permit.type.unknown": _l(
        "Unknown kind of permit. Use omzettingsvergunning, kamerverhuurvergunning, "
        "huisvestingsvergunning, verhuurvergunning or exploitatievergunning."
    ),
    "permit.types.required": _l("Choose at least one kind of permit."),
    "permit.types.unknown": _l("Choose only the kinds of permit shown."),
    "permit.valid_from.required": _l("Enter the first day the permit is valid."),
    "permit.valid_until.before_from": _l(
        "The last valid day cannot be before the first valid day."
    ),
    "permit.address.unknown": _l(
        "This address is not in the address register. Check the postcode, house number, house "
        "letter and addition."
    ),
    "permit.address.other_municipality": _l(
        "This address lies in another municipality. You can only register permits for addresses "
        "in your own municipality."
    ),
    "permit.revoked": _l("This permit has been revoked. A revoked permit cannot be changed."),
    "permit.already_revoked": _l("This permit has already been revoked."),
    "permit.revocation_reason.required": _l("Give the reason for revoking the permit."),
    "permit.revocation_reason.too_long": _l("The reason is at most 500 characters."),
    "permit.import.empty": _l("The file has no permit lines."),
    # --- permit applications ---
    "permit_application.from_required": _l("Enter the first day of the period."),
    "permit_application.until_before_from": _l(
        "The last day cannot be before the first day of the period."
    ),
    "permit_application.max_required": _l("Enter the maximum number of occupants."),
    "permit_application.max_range": _l("The maximum number of occupants is between 1 and 10,000."),
    "permit_application.permit_revoked": _l(
        "This permit has been revoked. It cannot be renewed; apply for a new permit at the "
        "municipality."
    ),
    "permit_application.not_holder": _l("Only the holder of the permit can do this."),
    "permit_application.already_open": _l(
        "There is already an open renewal application for this permit. Wait for the decision, "
        "or answer the municipality's question on that application."
    ),
    "permit_application.not_open": _l(
        "This application has already been decided, so it cannot be changed any more. Reload "
        "the page to see the decision."
    ),
    "permit_application.no_question": _l(
        "The municipality has not asked a question on this application, so there is nothing to "
        "answer."
    ),
    "permit_application.reason_required": _l("Give the reason for the rejection."),
    "permit_application.question_required": _l("Write the question for the applicant."),
    "permit_application.answer_required": _l("Write your answer."),
    "permit_application.text_too_long": _l("This text is too long: at most 4,000 characters."),
    "permit_application.reference_taken": _l(
        "Another permit of this municipality already has this decision reference."
    ),
    "document.empty": _l("The file is empty. Choose the PDF file again."),
    "document.too_large": _l(
        "The file is larger than 5 MB. Make the PDF smaller (for example by scanning at a lower "
        "resolution) and try again."
    ),
    "document.unsupported": _l(
        "This file is not a PDF, JPEG or PNG file. Only those are accepted; a file whose name was "
        "changed to .pdf, .jpg or .png is not one of them. Save or export the floor plan as PDF, "
        "JPEG or PNG and try again."
    ),
    "document.damaged": _l(
        "This file cannot be read: it is damaged or incomplete. Save or export the floor plan "
        "again and upload the new file."
    ),
    "document.active_content": _l(
        "This PDF contains JavaScript or an action that starts a program. The portal does not "
        "accept such files. Print the floor plan to a new PDF (for example with “Print to PDF”) "
        "and upload that file."
    ),
    "document.encrypted": _l(
        "This PDF is protected with a password. Upload the floor plan as a PDF without a password."
    ),
    "document.image_too_large": _l(
        "This image has more than 40 million pixels. Save it at a lower resolution and try again."
    ),
    # --- api ---
    "api.unauthorized": _l(
        "Send a valid API key in the Authorization header: Authorization: Bearer <key>."
    ),
    "api.organisation_key_required": _l("This needs the API key of an organisation."),
    "api.municipal_key_required": _l("This needs the API key of a municipality."),
    "api.not_found": _l("There is nothing at this address, or it is not yours to see."),
    "api.method_not_allowed": _l("This method is not possible at this address."),
    "api.too_large": _l("The request body is too large."),
    "api.unsupported_media_type": _l("Send the body as application/json."),
    "api.invalid_json": _l("The body is not valid JSON."),
    "api.bad_request": _l("The request could not be read."),
    "api.rate_limited": _l(
        "Too many requests with this API key. Try again after the number of seconds in Retry-After."
    ),
    "api.server_error": _l("Something went wrong on our side. Try again later."),
    "api.invalid": _l("The request has invalid values. See errors."),
    "idempotency.required": _l("Send an Idempotency-Key header with every request that files."),
    "idempotency.format": _l("An Idempotency-Key is 1 to 255 visible characters."),
    "idempotency.mismatch": _l(
        "This Idempotency-Key was already used for a different request. Use a new key."
    ),
    "idempotency.in_flight": _l(
        "A request with this Idempotency-Key is still being handled. Try again shortly."
    ),
    "field.unknown": _l("This field is not known here."),
    "field.type_integer": _l("Give a whole number."),
    "field.type_string": _l("Give a text value."),
    "field.type_boolean": _l("Give true or false."),
    "field.type_object": _l("Give a JSON object."),
    "field.type_array": _l("Give a JSON array."),
    # A CSV row or batch item takes both ways of writing a date; the API's own fields only ISO.
    "date.format": _l("Enter a date as day-month-year, for example 31-12-2027, or as 2027-12-31."),
    "date.iso_format": _l("Give a date as YYYY-MM-DD, for example 2026-12-01."),
    "date.range": _l("Enter a date between 1 January 1900 and 31 December 2200."),
    # A day the month does not have; message() names it when the refusal's detail is given.
    "date.nonexistent": _l("This date does not exist. Check the day and the month."),
    "text.invisible": _l(
        "This text contains an invisible character or a character that reverses the writing "
        "direction. Type the text yourself instead of pasting it."
    ),
    "address.one_of": _l("Give either address (postcode and house number) or bag_id."),
    "address.not_in_register": _l("The register has no address with these details."),
    "address.ambiguous": _l(
        "Several addresses have this house number. Give the house letter or addition."
    ),
    "query.value": _l("This value is not one of the allowed values."),
    "page.format": _l("Give a whole number of at least 1."),
    "patch.empty": _l("Give at least one of status, assignee or note."),
    "apikey.name_required": _l("Give the key a name, for example the system that uses it."),
    "apikey.revoked": _l("This key has already been revoked."),
    "batch.has_errors": _l("Some rows have errors, so nothing was filed. See rows."),
    "field.control_character": _l("This value contains a character that is not allowed."),
    # --- batches ---
    "batch.too_large": _l(
        "The file is larger than 5 MB. Split it into files of at most 10,000 rows each."
    ),
    "batch.too_many_rows": _l(
        "The file has more than 10,000 rows. Split it into files of at most 10,000 rows each."
    ),
    "batch.encoding": _l(
        "The file could not be read as text. In Excel, save it as “CSV (semicolon delimited)” "
        "or “CSV UTF-8” and try again."
    ),
    "batch.header": _l(
        "The first line of the file must name the columns, and some columns are missing. "
        "Download the template to see the columns."
    ),
    "batch.empty": _l("The file has no rows to declare."),
    "batch.format": _l(
        "The file could not be read as CSV. Save it as CSV, not as an Excel workbook."
    ),
    "batch.item_format": _l("Each declaration must be a JSON object."),
    "batch.nothing_valid": _l("There are no valid rows to file."),
    "batch.gone": _l("This upload has already been filed or removed. Nothing more was filed."),
    "number.format": _l("Enter a whole number, for example 6."),
    "yes_no.format": _l("Enter ja or nee."),
    "region.name_required": _l("Enter the name of the region."),
    "region.name_too_long": _l("The name can be at most 120 characters."),
    "region.name_taken": _l("There is already a region with this name."),
    "region.unknown_code": _l("These CBS codes are not known municipalities:"),
    "region.in_other_region": _l(
        "These municipalities already belong to another region; remove them there first:"
    ),
    "statistics.level": _l("Choose municipality or postcode."),
    "statistics.format": _l("Choose json or csv."),
    "statistics.month_format": _l("Enter a month as YYYY-MM, for example 2026-03."),
    "statistics.month_unknown": _l("There are no published figures for this month."),
    # --- ratelimits ---
    "login.locked": _l(
        "Too many login attempts. Logging in is paused for a while; try again in half an hour."
    ),
    "apikey.lifetime": _l("Choose a lifetime in days within the range shown at the field."),
    # --- eHerkenning (services.eherkenning) ---
    "eherkenning.state": _l(
        "The answer from eHerkenning does not belong to this login (it may have been used "
        "before). Log in again."
    ),
    "eherkenning.refused": _l("eHerkenning did not complete the login. Log in again."),
    "eherkenning.unreachable": _l(
        "The eHerkenning service could not be reached. Try again in a few minutes."
    ),
    "eherkenning.token_invalid": _l(
        "The answer from eHerkenning could not be verified, so you are not logged in. "
        "Log in again; if this keeps happening, contact the helpdesk."
    ),
    "eherkenning.loa_unknown": _l(
        "eHerkenning did not say at which level you logged in, so you are not logged in."
    ),
    "eherkenning.loa_too_low": _l(
        "You logged in with eHerkenning at level %(level)s. This portal asks for at least "
        "%(minimum)s. Ask your organisation's eHerkenning administrator for a means at that level."
    ),
    "eherkenning.kvk_missing": _l(
        "eHerkenning did not send the KvK number of your organisation, so you are not logged in."
    ),
    "eherkenning.kvk_malformed": _l(
        "eHerkenning sent a KvK number that is not 8 digits, so you are not logged in."
    ),
    "eherkenning.subject_missing": _l(
        "eHerkenning did not say who is logging in, so you are not logged in."
    ),
    "eherkenning.branch_malformed": _l(
        "eHerkenning sent a branch number that is not 12 digits, so you are not logged in."
    ),
    "apikey.unverified": _l(
        "Only an organisation proven with eHerkenning can create API keys. Log in with "
        "eHerkenning to prove your organisation."
    ),
    "staff_login.no_email": _l(
        "Your municipality's login did not send your email address, so you are not logged in."
    ),
    "staff_login.one_factor": _l(
        "Your municipality's login did not use a second step (such as an app or a code), so "
        "you are not logged in. Log in with your password and authenticator app instead."
    ),
    "staff_login.unknown": _l(
        "There is no account of this municipality with your email address in the portal. Ask "
        "your municipal administrator to invite you."
    ),
    "staff_login.other_person": _l(
        "Your municipality's login names another person than the one this account was first "
        "used by, so you are not logged in. Contact your municipal administrator."
    ),
    "eherkenning.account_inactive": _l(
        "Your account in the portal has been switched off. Ask your organisation's "
        "administrator to switch it on again."
    ),
    "eherkenning.email_taken": _l(
        "This email address already belongs to an account. Use another address."
    ),
}


def message(code: str, detail: object = None, **params: object) -> str:
    """The translated text for ``code`` (the code itself if it is unknown).

    ``detail`` is the refusal's value where a message names it: for 'date.nonexistent' the day
    as YYYY-MM-DD, giving "31 February 2026 does not exist." (other codes ignore it)."""
    if code == "date.nonexistent" and (day := split_nonexistent(detail)) is not None:
        return nonexistent_date_text(*day)
    text = MESSAGES.get(code)
    if text is None:
        return code
    if code == "password.too_short" and "n" not in params:
        from flask import current_app

        params["n"] = current_app.config["PASSWORD_MIN_LENGTH"]
    return str(text) % params if params else str(text)


def nonexistent_date_text(year: int, month: int, day: int) -> str:
    """The day spelled out ("31 februari 2026 bestaat niet."): it cannot be formatted as
    a date (there is no such date)."""
    month_name = get_month_names("wide", locale=str(get_locale() or "nl"))[month]
    return _("%(date)s does not exist.", date=f"{day} {month_name} {year}")
