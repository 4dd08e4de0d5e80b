"""Human messages for the reason codes of the domain and services (interface layer).

One table, translated through Flask-Babel, used by web forms, the CLI and (later) the API, so the
same refusal reads the same everywhere.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
    "separate_contracts.required": _l("Choose yes or no."),
    "effective_date.required": _l("Enter the date from which the new number applies."),
    "effective_date.before_start": _l("The date cannot be before the start of the declaration."),
    "effective_date.after_end": _l("The date cannot be after the end of the declaration."),
    "declaration.superseded": _l(
        "This declaration has already been changed or ended. Open the latest filing."
    ),
    "declaration.ended": _l("This declaration has ended and cannot be changed."),
    "address.unknown": _l("Choose an address from the register or enter it by hand."),
    "reference.format": _l("A reference looks like MH-2026-000123."),
    "verification_code.format": _l(
        "A verification code is 12 letters and digits, for example ABCD-EFGH-JKMN."
    ),
    # inspectors: signals (flags) and alert settings
    "flag.status_unknown": _l("Choose a status from the list."),
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
    "snf.format": _l("An SNF number has at most 20 letters, digits or dashes."),
    "kinds.required": _l("Choose at least one kind of organisation."),
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
    "role.unknown": _l("Choose a role from the list."),
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
    # --- permit applications ---
    # --- api ---
    # --- batches ---
}


def message(code: str, **params: object) -> str:
    """The translated text for ``code`` (the code itself if it is unknown)."""
    text = MESSAGES.get(code)
    if text is None:
        return code
    if code == "password.too_short" and "n" not in params:
        from flask import current_app

        params["n"] = current_app.config["PASSWORD_MIN_LENGTH"]
    return str(text) % params if params else str(text)
