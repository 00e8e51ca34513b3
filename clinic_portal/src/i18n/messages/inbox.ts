// The notification inbox (#/inbox): what happened that concerns the person.

export const en = {
  "inbox.title": "Notifications",
  "inbox.intro": "What concerns you: appointments, results, emergency access to your records. Emails carry no health details, only a link here.",
  "inbox.what": "notifications",
  "inbox.empty": "No notifications yet.",
  "inbox.unreadOnly": "Only unread",
  "inbox.unread": "New",
  "inbox.read": "Read",
  "inbox.markRead": "Mark as read",
  "inbox.marking": "Marking…",
  "inbox.markedRead": "Marked as read.",
  "inbox.when": "When",
  "inbox.open": "Open",
  "inbox.settings": "Choose which come by email",
} as const;

export const hi: Record<keyof typeof en, string> = {
  "inbox.title": "सूचनाएँ",
  "inbox.intro": "जो आपसे जुड़ा है: अपॉइंटमेंट, परिणाम, आपके रिकॉर्ड तक आपातकालीन पहुँच। ईमेल में स्वास्थ्य की कोई जानकारी नहीं होती, बस यहाँ का लिंक।",
  "inbox.what": "सूचनाएँ",
  "inbox.empty": "अभी कोई सूचना नहीं।",
  "inbox.unreadOnly": "सिर्फ़ बिना पढ़ी",
  "inbox.unread": "नई",
  "inbox.read": "पढ़ी गई",
  "inbox.markRead": "पढ़ी हुई मानें",
  "inbox.marking": "मान रहे हैं…",
  "inbox.markedRead": "पढ़ी हुई मान ली गई।",
  "inbox.when": "कब",
  "inbox.open": "खोलें",
  "inbox.settings": "चुनें कि कौन-सी ईमेल से आएँ",
};
