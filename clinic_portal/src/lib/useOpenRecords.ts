import { useCallback, useEffect, useRef, useState } from "react";
import { t } from "../i18n";
import { openRecord, publishedKey, type RecordOpenState } from "./openRecords";
import type { PatientKeys } from "./umbral";
import { signKeyDerivation, WalletError } from "./wallet";

export type OpenPhase = "locked" | "signing" | "deriving" | "open";

export type OpenRecords = {
  phase: OpenPhase;
  /** Why the records did not open ("" when nothing went wrong). */
  problem: string;
  /** Each record's state once opening started. */
  opened: ReadonlyMap<string, RecordOpenState>;
  openMyRecords: () => void;
  /** Drop the derived keys and every decrypted record (on Lock). */
  close: () => void;
  /** The derived keys while the records are open (to make key fragments without a new signature), else null. */
  currentKeys: () => PatientKeys | null;
};

const PARALLEL = 4;

/**
 * Opening the patient's records: the wallet signs the key derivation message, the Umbral keys
 * are derived here (src/lib/umbral.ts, loaded now), checked against the published public key,
 * then every record in `recordIds` (and any loaded later) is fetched and decrypted.
 */
export function useOpenRecords(recordIds: readonly string[]): OpenRecords {
  const [phase, setPhase] = useState<OpenPhase>("locked");
  const [problem, setProblem] = useState("");
  const [opened, setOpened] = useState<ReadonlyMap<string, RecordOpenState>>(new Map());
  const keys = useRef<PatientKeys | null>(null);
  const requested = useRef(new Set<string>());
  const generation = useRef(0);

  const close = useCallback(() => {
    generation.current++;
    keys.current?.free();
    keys.current = null;
    requested.current = new Set();
    setOpened(new Map());
    setPhase("locked");
    setProblem("");
  }, []);

  // Unmounting (signing out) drops the keys too.
  useEffect(() => close, [close]);

  const openMyRecords = useCallback(() => {
    const mine = ++generation.current;
    keys.current?.free();
    keys.current = null;
    requested.current = new Set();
    setOpened(new Map());
    setProblem("");
    setPhase("signing");
    void (async () => {
      let derived: PatientKeys | null = null;
      try {
        const published = await publishedKey();
        if (mine !== generation.current) return;
        if (published.key === null) {
          setProblem(published.message);
          setPhase("locked");
          return;
        }
        const signature = await signKeyDerivation();
        if (mine !== generation.current) return;
        setPhase("deriving");
        const umbral = await import("./umbral");
        derived = await umbral.patientKeysFromSignature(signature);
        if (mine !== generation.current) return;
        if (derived.encryptingPublicKey !== published.key) {
          setProblem(t("patient.wrongWallet"));
          setPhase("locked");
          return;
        }
        keys.current = derived;
        derived = null;
        setPhase("open");
      } catch (error) {
        if (mine !== generation.current) return;
        setProblem(
          error instanceof WalletError ? error.message : t("patient.openFailed"),
        );
        setPhase("locked");
      } finally {
        derived?.free(); // derived but not kept: wrong wallet, or superseded
      }
    })();
  }, []);

  // Decrypt every record not opened yet, a few at a time.
  useEffect(() => {
    if (phase !== "open" || !keys.current) return;
    const todo = recordIds.filter((id) => !requested.current.has(id));
    if (todo.length === 0) return;
    const mine = generation.current;
    const current = keys.current;
    for (const id of todo) requested.current.add(id);
    setOpened((prev) => {
      const next = new Map(prev);
      for (const id of todo) next.set(id, { status: "opening" });
      return next;
    });
    const queue = [...todo];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        if (mine !== generation.current) return;
        let state: RecordOpenState;
        try {
          state = await openRecord(current, id);
        } catch {
          state = { status: "error", message: t("patient.record.notOpened") };
        }
        if (mine !== generation.current) return;
        const done = state;
        const recordId = id;
        setOpened((prev) => new Map(prev).set(recordId, done));
      }
    };
    for (let i = 0; i < Math.min(PARALLEL, todo.length); i++) void worker();
  }, [phase, recordIds]);

  const currentKeys = useCallback(() => keys.current, []);

  return { phase, problem, opened, openMyRecords, close, currentKeys };
}
