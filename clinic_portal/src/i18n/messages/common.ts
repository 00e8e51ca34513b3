// Words shared by every screen: the frame, the navigation, loading and empty states.

export const en = {
  "common.language": "Language",
  "common.portalName": "OHMS clinic portal",
  "common.skipToContent": "Skip to content",
  "common.signOut": "Sign out",
  "common.signingOut": "Signing out…",
  "common.uhid": "UHID",
  "common.loadingPortal": "Loading the OHMS clinic portal…",
  "common.loading": "Loading {what}…",
  "common.loadingMore": "Loading more…",
  "common.showMore": "Show more {what}",
  "common.sessionEnded": "Your session has ended. Please sign in again.",
  "common.screens": "Screens",
  "common.noScreens": "Your account has no screens in this portal yet. Your organisation's administrator can give your role the permissions it needs.",
} as const;

export const hi: Record<keyof typeof en, string> = {
  "common.language": "भाषा",
  "common.portalName": "OHMS क्लिनिक पोर्टल",
  "common.skipToContent": "मुख्य सामग्री पर जाएँ",
  "common.signOut": "साइन आउट करें",
  "common.signingOut": "साइन आउट हो रहा है…",
  "common.uhid": "UHID",
  "common.loadingPortal": "OHMS क्लिनिक पोर्टल लोड हो रहा है…",
  "common.loading": "{what} लोड हो रहे हैं…",
  "common.loadingMore": "और लोड हो रहे हैं…",
  "common.showMore": "और {what} दिखाएँ",
  "common.sessionEnded": "आपका सत्र समाप्त हो गया है। कृपया फिर से साइन इन करें।",
  "common.screens": "स्क्रीन",
  "common.noScreens": "इस पोर्टल में आपके खाते के लिए अभी कोई स्क्रीन नहीं है। आपके संगठन के व्यवस्थापक आपकी भूमिका को ज़रूरी अनुमतियाँ दे सकते हैं।",
};
