// Messages of the "results" area (keys "results.<what>"); `hi` must have exactly the keys of `en`.

export const en = {} as const;

export const hi: Record<keyof typeof en, string> = {};
