// A program that never finishes while a timer keeps the process alive.
setInterval(() => undefined, 1000);
export = () => new Promise<void>(() => undefined);
