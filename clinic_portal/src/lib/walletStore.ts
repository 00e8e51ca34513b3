// The still-encrypted keystore JSON of a patient's wallet, kept in IndexedDB (database
// "ohms-portal", store "wallets") so a returning patient only types the password. Never the
// private key: that stays in memory (src/lib/wallet.ts).

const DB_NAME = "ohms-portal";
const STORE = "wallets";

export type SavedWallet = { keystore: string; address: string; savedAt: string };

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error("IndexedDB is not available"));
      return;
    }
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB did not open"));
    request.onblocked = () => reject(new Error("IndexedDB is blocked"));
  });
}

async function withStore<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB failed"));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB aborted"));
    });
  } finally {
    db.close();
  }
}

function isSavedWallet(value: unknown): value is SavedWallet {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["keystore"] === "string" && typeof v["address"] === "string" && typeof v["savedAt"] === "string";
}

/** The wallet saved for this portal user (`owner` is the signed-in user's id), or null. */
export async function loadSavedWallet(owner: string): Promise<SavedWallet | null> {
  try {
    const value: unknown = await withStore("readonly", (s) => s.get(owner));
    return isSavedWallet(value) ? value : null;
  } catch {
    return null; // no IndexedDB (private mode, disabled): the patient imports the file each time
  }
}

export async function saveWallet(owner: string, wallet: SavedWallet): Promise<boolean> {
  try {
    await withStore("readwrite", (s) => s.put(wallet, owner));
    return true;
  } catch {
    return false;
  }
}

export async function forgetSavedWallet(owner: string): Promise<void> {
  try {
    await withStore("readwrite", (s) => s.delete(owner));
  } catch {
    // Nothing saved, or no IndexedDB.
  }
}
