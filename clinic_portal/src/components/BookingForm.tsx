// Pick a free slot, give an optional reason, book. The reason is clinical content: the
// service keeps it only as the patient's encrypted record, so it needs her published keys
// (422 otherwise, and nothing is booked).

import { useId, useState, type FormEvent } from "react";
import { t } from "../i18n";
import { problemDetail } from "../lib/format";
import type { Outcome } from "../lib/outcome";
import type { SchedOwner } from "../lib/schedOwner";
import type { AppointmentOut, SlotOut } from "../lib/scheduling";
import { formatWhen } from "../lib/calendarFormat";
import { BookingSlotPicker } from "./BookingSlotPicker";

export function BookingForm({
  owner,
  submitLabel,
  book,
  onBooked,
  disabledReason,
}: {
  /** Whose free time is booked: a practitioner's, or a room's or equipment's. */
  owner: SchedOwner;
  submitLabel: string;
  book: (slot: SlotOut, reason: string | null) => Promise<Outcome<AppointmentOut>>;
  onBooked: (appointment: AppointmentOut) => void;
  /** Why booking is not possible yet (e.g. no patient chosen); shown instead of booking. */
  disabledReason?: string;
}) {
  const id = useId();
  const [slot, setSlot] = useState<SlotOut | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  // A booked or taken slot refreshes the picker (a new key remounts it).
  const [pickerRound, setPickerRound] = useState(0);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!slot) {
      setError(t("scheduling.pickSlotFirst"));
      return;
    }
    setBusy(true);
    setError("");
    const given = reason.trim() || null;
    const result = await book(slot, given);
    setBusy(false);
    if (result.ok) {
      setSlot(null);
      setReason("");
      setPickerRound((n) => n + 1); // the time just booked is no longer free
      onBooked(result.value);
      return;
    }
    if (result.status === 409) {
      setSlot(null);
      setPickerRound((n) => n + 1);
      setError(t("scheduling.slotTaken"));
    } else if (result.status === 422 && given && /key/i.test(problemDetail(result.problem))) {
      setError(t("scheduling.reasonNeedsKeysRefused"));
    } else {
      setError(problemDetail(result.problem, result.status));
    }
  }

  return (
    <form className="sched-book" onSubmit={(e) => void submit(e)} noValidate aria-describedby={`${id}-when`}>
      <BookingSlotPicker
        key={pickerRound}
        owner={owner}
        selected={slot}
        onSelect={(s) => {
          setSlot(s);
          setError("");
        }}
      />
      <p id={`${id}-when`} className="sched-chosen-line" aria-live="polite">
        {slot ? t("scheduling.chosenSlot", { when: formatWhen(slot.start) }) : t("scheduling.noSlotChosen")}
      </p>
      <div className="field">
        <label htmlFor={`${id}-reason`}>{t("scheduling.reasonLabel")}</label>
        <textarea
          id={`${id}-reason`}
          rows={2}
          maxLength={200}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          aria-describedby={`${id}-reason-hint`}
        />
        <p className="hint" id={`${id}-reason-hint`}>
          {t("scheduling.reasonHint")}
        </p>
      </div>
      {disabledReason && <p className="hint">{disabledReason}</p>}
      {error && (
        <p className="alert" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || Boolean(disabledReason)} aria-busy={busy}>
        {busy ? t("scheduling.booking") : submitLabel}
      </button>
    </form>
  );
}
