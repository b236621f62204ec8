// @ts-check
/** Entry point of gradients.html: wires its three sections. */

import { setUpDigitView } from "./digit-view.js";
import { setUpFlowView } from "./flow-view.js";
import { setUpHistoryView } from "./history-view.js";

setUpFlowView();
setUpDigitView();
setUpHistoryView();
