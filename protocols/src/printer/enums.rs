//! Enum-name tables of RFC 3805 (Printer-MIB v2, with the IANA-PRINTER-MIB
//! textual conventions) and RFC 2790 (HOST-RESOURCES-MIB).
//!
//! Reports carry the standard names rather than numbers so that stored data
//! and the status page read the same as the RFC text. Every lookup is
//! total: an unassigned number gives `None`, never a panic.

/// PrtMarkerSuppliesTypeTC.
pub fn supply_type(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        2 => "unknown",
        3 => "toner",
        4 => "wasteToner",
        5 => "ink",
        6 => "inkCartridge",
        7 => "inkRibbon",
        8 => "wasteInk",
        9 => "opc",
        10 => "developer",
        11 => "fuserOil",
        12 => "solidWax",
        13 => "ribbonWax",
        14 => "wasteWax",
        15 => "fuser",
        16 => "coronaWire",
        17 => "fuserOilWick",
        18 => "cleanerUnit",
        19 => "fuserCleaningPad",
        20 => "transferUnit",
        21 => "tonerCartridge",
        22 => "fuserOiler",
        23 => "water",
        24 => "wasteWater",
        25 => "glueWaterAdditive",
        26 => "wastePaper",
        27 => "bindingSupply",
        28 => "bandingSupply",
        29 => "stitchingWire",
        30 => "shrinkWrap",
        31 => "paperWrap",
        32 => "staples",
        33 => "inserts",
        34 => "covers",
        _ => return None,
    })
}

/// True for the supply types that collect waste (RFC 3805 receptacles).
pub fn is_waste_type(n: i64) -> bool {
    matches!(n, 4 | 8 | 14 | 24 | 26)
}

/// PrtMarkerSuppliesSupplyUnitTC.
pub fn supply_unit(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        2 => "unknown",
        3 => "tenThousandthsOfInches",
        4 => "micrometers",
        7 => "impressions",
        8 => "sheets",
        11 => "hours",
        12 => "thousandthsOfOunces",
        13 => "tenthsOfGrams",
        14 => "hundrethsOfFluidOunces",
        15 => "tenthsOfMilliliters",
        16 => "feet",
        17 => "meters",
        18 => "items",
        19 => "percent",
        _ => return None,
    })
}

/// PrtMarkerSuppliesSupplyUnitTC value `percent`.
pub const UNIT_PERCENT: i64 = 19;

/// PrtMarkerSuppliesClassTC: other(1), supplyThatIsConsumed(3),
/// receptacleThatIsFilled(4).
pub fn supply_class(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        3 => "consumed",
        4 => "receptacle",
        _ => return None,
    })
}

/// hrDeviceStatus (RFC 2790).
pub fn device_status(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "unknown",
        2 => "running",
        3 => "warning",
        4 => "testing",
        5 => "down",
        _ => return None,
    })
}

/// hrPrinterStatus (RFC 2790).
pub fn printer_status(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        2 => "unknown",
        3 => "idle",
        4 => "printing",
        5 => "warmup",
        _ => return None,
    })
}

/// hrPrinterDetectedErrorState bit names (RFC 2790 bits 0–7, RFC 3805
/// bits 8–15). Bit 0 is the most significant bit of the first octet.
pub fn error_bit(bit: usize) -> Option<&'static str> {
    Some(match bit {
        0 => "lowPaper",
        1 => "noPaper",
        2 => "lowToner",
        3 => "noToner",
        4 => "doorOpen",
        5 => "jammed",
        6 => "offline",
        7 => "serviceRequested",
        8 => "inputTrayMissing",
        9 => "outputTrayMissing",
        10 => "markerSupplyMissing",
        11 => "outputNearFull",
        12 => "outputFull",
        13 => "inputTrayEmpty",
        14 => "overduePreventMaint",
        _ => return None,
    })
}

/// PrtAlertSeverityLevelTC.
pub fn alert_severity(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        3 => "critical",
        4 => "warning",
        5 => "warningBinaryChangeEvent",
        _ => return None,
    })
}

/// PrtAlertTrainingLevelTC.
pub fn alert_training(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        2 => "unknown",
        3 => "untrained",
        4 => "trained",
        5 => "fieldService",
        6 => "management",
        7 => "noInterventionRequired",
        _ => return None,
    })
}

/// PrtAlertGroupTC.
pub fn alert_group(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        2 => "unknown",
        3 => "hostResourcesMIBStorageTable",
        4 => "hostResourcesMIBDeviceTable",
        5 => "generalPrinter",
        6 => "cover",
        7 => "localization",
        8 => "input",
        9 => "output",
        10 => "marker",
        11 => "markerSupplies",
        12 => "markerColorant",
        13 => "mediaPath",
        14 => "channel",
        15 => "interpreter",
        16 => "consoleDisplayBuffer",
        17 => "consoleLights",
        18 => "alert",
        30 => "finDevice",
        31 => "finSupply",
        32 => "finSupplyMediaInput",
        33 => "finAttribute",
        _ => return None,
    })
}

/// PrtAlertCodeTC.
pub fn alert_code(n: i64) -> Option<&'static str> {
    Some(match n {
        1 => "other",
        2 => "unknown",
        3 => "coverOpen",
        4 => "coverClosed",
        5 => "interlockOpen",
        6 => "interlockClosed",
        7 => "configurationChange",
        8 => "jam",
        9 => "subunitMissing",
        10 => "subunitLifeAlmostOver",
        11 => "subunitLifeOver",
        12 => "subunitAlmostEmpty",
        13 => "subunitEmpty",
        14 => "subunitAlmostFull",
        15 => "subunitFull",
        16 => "subunitNearLimit",
        17 => "subunitAtLimit",
        18 => "subunitOpened",
        19 => "subunitClosed",
        20 => "subunitTurnedOn",
        21 => "subunitTurnedOff",
        22 => "subunitOffline",
        23 => "subunitPowerSaver",
        24 => "subunitWarmingUp",
        25 => "subunitAdded",
        26 => "subunitRemoved",
        27 => "subunitResourceAdded",
        28 => "subunitResourceRemoved",
        29 => "subunitRecoverableFailure",
        30 => "subunitUnrecoverableFailure",
        31 => "subunitRecoverableStorageError",
        32 => "subunitUnrecoverableStorageError",
        33 => "subunitMotorFailure",
        34 => "subunitMemoryExhausted",
        35 => "subunitUnderTemperature",
        36 => "subunitOverTemperature",
        37 => "subunitTimingFailure",
        38 => "subunitThermistorFailure",
        501 => "doorOpen",
        502 => "doorClosed",
        503 => "powerUp",
        504 => "powerDown",
        505 => "printerNMSReset",
        506 => "printerManualReset",
        507 => "printerReadyToPrint",
        801 => "inputMediaTrayMissing",
        802 => "inputMediaSizeChange",
        803 => "inputMediaWeightChange",
        804 => "inputMediaTypeChange",
        805 => "inputMediaColorChange",
        806 => "inputMediaFormPartsChange",
        807 => "inputMediaSupplyLow",
        808 => "inputMediaSupplyEmpty",
        809 => "inputMediaChangeRequest",
        810 => "inputManualInputRequest",
        811 => "inputTrayPositionFailure",
        812 => "inputTrayElevationFailure",
        813 => "inputCannotFeedSizeSelected",
        901 => "outputMediaTrayMissing",
        902 => "outputMediaTrayAlmostFull",
        903 => "outputMediaTrayFull",
        904 => "outputMailboxSelectFailure",
        1001 => "markerFuserUnderTemperature",
        1002 => "markerFuserOverTemperature",
        1003 => "markerFuserTimingFailure",
        1004 => "markerFuserThermistorFailure",
        1005 => "markerAdjustingPrintQuality",
        1101 => "markerTonerEmpty",
        1102 => "markerInkEmpty",
        1103 => "markerPrintRibbonEmpty",
        1104 => "markerTonerAlmostEmpty",
        1105 => "markerInkAlmostEmpty",
        1106 => "markerPrintRibbonAlmostEmpty",
        1107 => "markerWasteTonerReceptacleAlmostFull",
        1108 => "markerWasteInkReceptacleAlmostFull",
        1109 => "markerWasteTonerReceptacleFull",
        1110 => "markerWasteInkReceptacleFull",
        1111 => "markerOpcLifeAlmostOver",
        1112 => "markerOpcLifeOver",
        1113 => "markerDeveloperAlmostEmpty",
        1114 => "markerDeveloperEmpty",
        1115 => "markerTonerCartridgeMissing",
        1301 => "mediaPathMediaTrayMissing",
        1302 => "mediaPathMediaTrayAlmostFull",
        1303 => "mediaPathMediaTrayFull",
        1304 => "mediaPathCannotDuplexMediaSelected",
        1501 => "interpreterMemoryIncrease",
        1502 => "interpreterMemoryDecrease",
        1503 => "interpreterCartridgeAdded",
        1504 => "interpreterCartridgeDeleted",
        1505 => "interpreterResourceAdded",
        1506 => "interpreterResourceDeleted",
        1507 => "interpreterResourceUnavailable",
        1509 => "interpreterComplexPageEncountered",
        1801 => "alertRemovalOfBinaryChangeEntry",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_rfc_numbers_and_gaps_are_none() {
        assert_eq!(supply_type(21), Some("tonerCartridge"));
        assert_eq!(supply_type(34), Some("covers"));
        assert_eq!(supply_type(0), None);
        assert_eq!(supply_unit(13), Some("tenthsOfGrams"));
        assert_eq!(supply_unit(5), None, "5 and 6 are unassigned");
        assert_eq!(supply_class(2), None);
        assert_eq!(error_bit(14), Some("overduePreventMaint"));
        assert_eq!(error_bit(15), None);
        assert_eq!(alert_severity(2), None);
        assert_eq!(alert_code(1109), Some("markerWasteTonerReceptacleFull"));
        assert_eq!(alert_group(11), Some("markerSupplies"));
        assert!(is_waste_type(4) && is_waste_type(8) && !is_waste_type(3));
    }
}
