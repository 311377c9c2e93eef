#!/usr/bin/env python3
"""Writes the synthetic golden inputs of the pacs adapter (CR terminators, 999-range NHS
numbers that pass modulus 11). orm_o01_radiology, omi_o23 and oru_r01_radiology_text are
copies of tests/fixtures/hl7v2/. Run from this directory: python3 make_fixtures.py"""


def nhs(stem9: str) -> str:
    """Appends the modulus-11 check digit; fails for stems whose check digit would be 10."""
    total = sum(int(d) * (10 - i) for i, d in enumerate(stem9))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    assert check != 10, stem9
    return stem9 + str(check)


P1 = nhs("999675809")  # BARRACLOUGH, as in tests/fixtures/hl7v2
P2 = nhs("999312345")
P3 = nhs("999440021")
assert P1 == "9996758095"

PID1 = (f"PID|1||{P1}^^^NHS^NH~K5500404^^^RXX^MR||BARRACLOUGH^Keith^^^Mr^^L||19610320|1|||"
        "88 Otley Road^^Leeds^West Yorkshire^LS16 5HQ^GBR^H|||||||||||||||||||||NSTS01")
PID2 = (f"PID|1||{P2}^^^NHS^NH~K7100231^^^RXX^MR||OKAFOR^Grace^^^Mrs^^L||19740611|2|||"
        "3 Kirkstall Lane^^Leeds^^LS5 3BE^GBR^H|||||||||||||||||||||NSTS01")
PID3 = (f"PID|1||{P3}^^^NHS^NH~K2200917^^^RXX^MR||LINDQVIST^Erik^^^Mr^^L||19500102|1|||||||||||||||||||||||NSTS01")
PV1 = "PV1|1|O|^RADOP^^RXX01||||C9990011^OKONKWO^Adaeze^^^Dr|||300"


def msh(app, dest, when, mtype, cid, ver="2.4"):
    return f"MSH|^~\\&|{app}|RXX|{dest}|RXX|{when}||{mtype}|{cid}|P|{ver}|||AL|NE|GBR||EN"


FILES = {
    "orm_o01_cancel": [
        msh("ICE", "CRIS", "20250305113002", "ORM^O01^ORM_O01", "ICE2000010"),
        PID1,
        "ORC|CA|OC25-0098765^ICE|RXX25R0012345^CRIS||CA||^^^20250305101500^^U||20250305113000|"
        "JBLOGGS^BLOGGS^Jo||C9990011^OKONKWO^Adaeze^^^Dr|||20250305113000|DUP^Duplicate request^L",
        "OBR|1|OC25-0098765^ICE|RXX25R0012345^CRIS|XCHES^XR Chest^NICIP||||||||||||"
        "C9990011^OKONKWO^Adaeze^^^Dr||RXX25R0012345||||||RAD",
    ],
    "orm_o01_exam_complete": [
        msh("CRIS", "ICE", "20250306094502", "ORM^O01^ORM_O01", "CRIS3000020"),
        PID2,
        PV1,
        "ORC|SC|OC25-0101010^ICE|RXX25R0012400^CRIS||CM||^^^20250306090000^^R||20250306094500|||"
        "C9990022^AHMED^Samir^^^Dr",
        "OBR|1|OC25-0101010^ICE|RXX25R0012400^CRIS|CHEAC^CT Head^NICIP|||20250306092000||||||"
        "Fall, on anticoagulants. ?bleed|||C9990022^AHMED^Samir^^^Dr||RXX25R0012400||||||CT|||"
        "^^^20250306090000^^R|||^Head injury on anticoagulation",
        "ZDS|1.2.826.0.1.3680043.10.999.25030609200001^CRIS^Application^DICOM",
    ],
    "omg_o19_change_local_code": [
        msh("ICE", "CRIS", "20250307080102", "OMG^O19^OMG_O19", "ICE2000030", "2.5"),
        PID3,
        "ORC|XO|OC25-0102020^ICE|||SC||||20250307080100|JBLOGGS^BLOGGS^Jo||G9990027^PATEL^Nisha^^^Dr",
        "TQ1|1||||||20250307100000||S^Stat^HL70485",
        "OBR|1|OC25-0102020^ICE||USABD^US Abdomen^LOCAL|||||||||RUQ pain, deranged LFTs|||"
        "G9990027^PATEL^Nisha^^^Dr||||||||US|||||||^Gallstones?",
    ],
    "oru_r01_corrected_with_study": [
        msh("CRIS", "ICE", "20250306121502", "ORU^R01^ORU_R01", "CRIS3000021"),
        PID2,
        PV1,
        "ORC|RE|OC25-0101010^ICE|RXX25R0012400^CRIS||CM",
        "OBR|1|OC25-0101010^ICE|RXX25R0012400^CRIS|CHEAC^CT Head^NICIP|||20250306092000|||||||||"
        "C9990022^AHMED^Samir^^^Dr||RXX25R0012400||||20250306121500||CT|C|||||||"
        "C9990077&NAIR&Priya&&&&Dr",
        "OBX|1|TX|CHEAC^CT Head^NICIP||CORRECTED REPORT||||||C",
        "OBX|2|TX|CHEAC^CT Head^NICIP||No acute intracranial haemorrhage.\\.br\\"
        "Age-appropriate involutional change.||||||C",
        "OBX|3|NM|113722^Dose Length Product Total^DCM||812.4|mGy.cm^mGy.cm^UCUM|||||C",
        "OBX|4|ST|113014^Study Instance UID^DCM||1.2.826.0.1.3680043.10.999.25030609200001||||||C",
        "OBX|5|NM|(0020,1206)^Number of Study Related Series^DCM||3||||||C",
    ],
    "oru_r01_preliminary": [
        msh("CRIS", "ICE", "20250307111502", "ORU^R01^ORU_R01", "CRIS3000031"),
        PID3,
        "OBR|1|OC25-0102020^ICE|RXX25R0012500^CRIS|USABD^US Abdomen^LOCAL|||20250307103000|||||||||"
        "G9990027^PATEL^Nisha^^^Dr||RXX25R0012500||||20250307111500||US|P",
        "OBX|1|FT|&GDT^Report text||Preliminary: multiple gallstones, no duct dilatation.\\.br\\"
        "Final report to follow.||||||P",
        "OBX|2|ST|GBWALL^Gallbladder wall^L||Not thickened||||||P",
        "OBX|3|NM|CBD^Common bile duct diameter^L||<6|mm^millimetre^UCUM|<7|||P",
    ],
    "siu_s12_booked": [
        msh("CRIS", "ICE", "20250305160002", "SIU^S12^SIU_S12", "CRIS4000001"),
        "SCH|APT25-7001^ICE|RXX25A0070001^CRIS|||||ROUTINE^Routine^L|FOLLOWUP^Follow-up^L|20|MIN|"
        "^^20^20250416093000^20250416095000||||||||||||||BOOKED|OC25-0098765^ICE|RXX25R0012345^CRIS",
        PID1,
        "RGS|1",
        "AIS|1||XCHES^XR Chest^NICIP|20250416093000|||20|MIN",
        "AIG|1||XR3^X-ray room 3^L|ROOM^Room^L",
        "AIL|1||^XRAY3^^RXX01|CLINIC^Clinic^L",
        "AIP|1||R9990088^HUGHES^Tom^^^Mr|RAD^Radiographer^L",
    ],
    "siu_s14_modified": [
        msh("CRIS", "ICE", "20250310120002", "SIU^S14^SIU_S14", "CRIS4000002"),
        "SCH|APT25-7001^ICE|RXX25A0070001^CRIS||||MOVED^Patient request^L|ROUTINE^Routine^L||30|MIN|"
        "^^30^20250417140000",
        PID1,
        "RGS|1",
        "AIS|1||XCHES^XR Chest^NICIP|20250417140000",
    ],
    "siu_s15_cancelled": [
        msh("CRIS", "ICE", "20250311090002", "SIU^S15^SIU_S15", "CRIS4000003"),
        "SCH|APT25-7001^ICE|RXX25A0070001^CRIS||||PATCANC^Cancelled by patient^L|ROUTINE^Routine^L||30|MIN|"
        "^^30^20250417140000",
        PID1,
        "RGS|1",
        "AIS|1||XCHES^XR Chest^NICIP|20250417140000",
    ],
    "siu_s26_noshow": [
        msh("CRIS", "ICE", "20250417150002", "SIU^S26^SIU_S26", "CRIS4000004"),
        "SCH|APT25-7002^ICE|RXX25A0070002^CRIS||||DNA^Did not attend^L|||15|MIN|^^15^20250417143000",
        PID3,
        "RGS|1",
        "AIS|1||USPEL^US Pelvis^LOCAL|20250417143000",
    ],
    # Bad input: each must fail with the error named in README.md.
    "bad_not_radiology": [
        msh("PAS", "ROUTE", "20250305101502", "ADT^A01^ADT_A01", "PAS9000001"), PID1,
    ],
    "bad_oru_unsupported_trigger": [
        msh("CRIS", "ICE", "20250305101502", "ORU^R30^ORU_R30", "CRIS9000001"), PID1,
        "OBR|1|||XCHES^XR Chest^NICIP",
    ],
    "bad_orm_no_obr": [
        msh("ICE", "CRIS", "20250305101502", "ORM^O01^ORM_O01", "ICE9000001"), PID1,
        "ORC|NW|OC25-0099999^ICE",
    ],
    "bad_orm_no_orc": [
        msh("ICE", "CRIS", "20250305101502", "ORM^O01^ORM_O01", "ICE9000002"), PID1,
        "OBR|1|OC25-0099998^ICE||XCHES^XR Chest^NICIP",
    ],
    "bad_orm_unknown_control": [
        msh("ICE", "CRIS", "20250305101502", "ORM^O01^ORM_O01", "ICE9000003"), PID1,
        "ORC|ZZ|OC25-0099997^ICE", "OBR|1|OC25-0099997^ICE||XCHES^XR Chest^NICIP",
    ],
    "bad_orm_no_pid": [
        msh("ICE", "CRIS", "20250305101502", "ORM^O01^ORM_O01", "ICE9000004"),
        "ORC|NW|OC25-0099996^ICE", "OBR|1|OC25-0099996^ICE||XCHES^XR Chest^NICIP",
    ],
    "bad_oru_no_obr": [
        msh("CRIS", "ICE", "20250305101502", "ORU^R01^ORU_R01", "CRIS9000002"), PID1,
        "OBX|1|TX|XCHES^XR Chest^NICIP||Report with no OBR||||||F",
    ],
    "bad_oru_bad_obr7": [
        msh("CRIS", "ICE", "20250305101502", "ORU^R01^ORU_R01", "CRIS9000003"), PID1,
        "OBR|1|OC25-0098765^ICE|RXX25R0012345^CRIS|XCHES^XR Chest^NICIP|||05/03/2025 11:30|||||||||"
        "||RXX25R0012345||||20250305153000||RAD|F",
        "OBX|1|TX|XCHES^XR Chest^NICIP||Normal.||||||F",
    ],
    "bad_siu_no_sch": [
        msh("CRIS", "ICE", "20250305101502", "SIU^S12^SIU_S12", "CRIS9000004"), PID1,
        "AIS|1||XCHES^XR Chest^NICIP|20250416093000",
    ],
    "bad_siu_bad_start": [
        msh("CRIS", "ICE", "20250305101502", "SIU^S12^SIU_S12", "CRIS9000005"),
        "SCH|APT25-7009^ICE|RXX25A0070009^CRIS|||||||20|MIN|^^20^16/04/2025 09:30", PID1,
    ],
}

for name, segments in FILES.items():
    with open(f"{name}.hl7", "w", newline="") as f:
        f.write("\r".join(segments) + "\r")
print(P1, P2, P3)
