/** Drop zones: a large label around a file input; dropping files on it chooses them. */
import { formatBytes } from "./render.js";

export function setUpDropZone(input: HTMLInputElement): void {
  const zone = input.closest<HTMLElement>(".drop");
  const chosen = document.getElementById(`${input.id}-chosen`);
  const show = () => {
    const list = Array.from(input.files ?? []);
    if (chosen !== null) chosen.textContent = list.length === 0 ? "" : list.map((f) => `${f.name} (${formatBytes(f.size)})`).join(", ");
    zone?.classList.toggle("has-files", list.length > 0);
  };
  input.addEventListener("change", show);
  if (zone === null) return;
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    if (e.dataTransfer !== null) e.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    const dropped = Array.from(e.dataTransfer?.files ?? []);
    if (dropped.length === 0) return;
    const dt = new DataTransfer();
    for (const f of input.multiple ? dropped : dropped.slice(0, 1)) dt.items.add(f);
    input.files = dt.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}

/** Files dropped outside a zone would make the browser open them (and leave the page). */
export function guardPageDrops(): void {
  for (const type of ["dragover", "drop"]) {
    window.addEventListener(type, (e) => {
      if (!(e.target instanceof Element && e.target.closest(".drop") !== null)) e.preventDefault();
    });
  }
}
