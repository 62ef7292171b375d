export const suffix: string = "from-helper";
