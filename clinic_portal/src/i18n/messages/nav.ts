// The navigation between screens.

export const en = {
  "nav.health": "My health",
  "nav.patients": "Patients",
  "nav.results": "Results and studies",
  "nav.audit": "Access log",
  "nav.members": "Members",
  "nav.roles": "Roles and permissions",
  "nav.organisations": "Organisations",
  "nav.welcome": "Welcome",
} as const;

export const hi: Record<keyof typeof en, string> = {
  "nav.health": "मेरा स्वास्थ्य",
  "nav.patients": "मरीज़",
  "nav.results": "रिपोर्ट और स्टडी",
  "nav.audit": "एक्सेस लॉग",
  "nav.members": "सदस्य",
  "nav.roles": "भूमिकाएँ और अनुमतियाँ",
  "nav.organisations": "संगठन",
  "nav.welcome": "स्वागत है",
};
