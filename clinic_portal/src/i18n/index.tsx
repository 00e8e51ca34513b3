// The portal's words: one message catalogue (./catalog.ts, English and Hindi), the language
// the person chose, and the locale dates and numbers are shown in.
//
// `t(key, vars)` works in components and in plain helpers alike: it reads the language of
// the moment, which <I18nProvider> sets before its children render. Switching language
// re-renders the whole tree from the provider down, so nothing keeps the old words.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { catalog, type Lang, type MessageKey } from "./catalog";

export type { Lang, MessageKey } from "./catalog";

export const LANGUAGES: readonly { lang: Lang; name: string }[] = [
  { lang: "en", name: "English" },
  { lang: "hi", name: "हिन्दी" },
];

// Dates, times and numbers in each language, in the person's own time zone.
const LOCALES: Record<Lang, string> = { en: "en-IN", hi: "hi-IN" };
// Not secret: which language the person reads, kept across visits.
const LANG_KEY = "ohms.portal.lang";

let current: Lang = initialLang();

function initialLang(): Lang {
  try {
    const stored = typeof localStorage === "undefined" ? null : localStorage.getItem(LANG_KEY);
    if (stored === "en" || stored === "hi") return stored;
  } catch {
    // storage disabled: fall through to the browser's language
  }
  const browser = typeof navigator === "undefined" ? "" : navigator.language;
  return browser.toLowerCase().startsWith("hi") ? "hi" : "en";
}

export type Vars = Record<string, string | number>;

/** The message `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: Vars): string {
  return format(catalog[current][key], vars);
}

/** The message `key` in `lang` (tests, and the language switch naming each language). */
export function tIn(lang: Lang, key: MessageKey, vars?: Vars): string {
  return format(catalog[lang][key], vars);
}

function format(template: string, vars?: Vars): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = vars[name];
    return value === undefined ? whole : String(value);
  });
}

/** The BCP 47 locale for Intl formatting in the current language. */
export function locale(): string {
  return LOCALES[current];
}

export function currentLang(): Lang {
  return current;
}

function applyLang(lang: Lang): void {
  current = lang;
}

type I18n = { lang: Lang; setLang: (lang: Lang) => void };
const I18nContext = createContext<I18n>({ lang: current, setLang: () => undefined });

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(current);
  applyLang(lang); // before the children render, so plain t() calls read it too
  const setLang = useCallback((next: Lang) => {
    applyLang(next);
    try {
      localStorage.setItem(LANG_KEY, next);
    } catch {
      // not kept: the choice still holds for this page
    }
    setLangState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo(() => ({ lang, setLang }), [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

/** The language and its setter; components that call this re-render when it changes. */
export function useI18n(): I18n {
  return useContext(I18nContext);
}

/** A language switch, on every screen (sign-in included). */
export function LanguageSwitch() {
  const { lang, setLang } = useI18n();
  return (
    <div className="lang-switch" role="group" aria-label={t("common.language")}>
      {LANGUAGES.map((option) => (
        <button
          key={option.lang}
          type="button"
          className="link"
          lang={option.lang}
          aria-pressed={lang === option.lang}
          onClick={() => setLang(option.lang)}
        >
          {option.name}
        </button>
      ))}
    </div>
  );
}
