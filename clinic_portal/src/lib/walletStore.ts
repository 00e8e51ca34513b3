// The still-encrypted keystore JSON of a person's wallet, kept in IndexedDB (database
// "ohms-portal", store "wallets", keyed by the portal user's id) so a returning person only
// types the password, on the sign-in screen too. Never the private key: that stays in memory
// (src/lib/wallet.ts).

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

/**
 * Every wallet saved in this browser, one per address, newest first: the sign-in screen offers
 * them before anyone is signed in (it cannot know whose they are until the wallet signs).
 */
export async function listSavedWallets(): Promise<SavedWallet[]> {
  let values: unknown[];
  try {
    values = await withStore("readonly", (s) => s.getAll());
  } catch {
    return [];
  }
  const byAddress = new Map<string, SavedWallet>();
  for (const value of values) {
    if (!isSavedWallet(value)) continue;
    const key = value.address.toLowerCase();
    const known = byAddress.get(key);
    if (!known || known.savedAt < value.savedAt) byAddress.set(key, value);
  }
  return [...byAddress.values()].sort((a, b) => b.savedAt.localeCompare(a.savedAt));
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
