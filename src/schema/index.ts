export * from "./input";
export * from "./names";
export * from "./quantity";
