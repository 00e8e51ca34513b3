// Messages of the "records" area (keys "records.<what>"); `hi` must have exactly the keys of `en`.

export const en = {} as const;

export const hi: Record<keyof typeof en, string> = {};
